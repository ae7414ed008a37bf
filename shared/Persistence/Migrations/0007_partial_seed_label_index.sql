-- 0007: the seed-label index (it backs the foreign key to project_labels and "has seed labels" checks) holds only
-- items that have a seed label. Most imported items have none, and indexing their NULLs was a tenth of the database's
-- work in a bulk import.
DROP INDEX ix_items_project_id_seed_label;
CREATE INDEX ix_items_project_id_seed_label ON items (project_id, seed_label) WHERE seed_label IS NOT NULL;
