DROP INDEX ix_items_project_id_seed_label;
CREATE INDEX ix_items_project_id_seed_label ON items (project_id, seed_label);
