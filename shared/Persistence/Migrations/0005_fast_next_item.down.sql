DROP INDEX ix_items_unlabeled_by_hash;
DROP INDEX ix_queries_open;
ALTER TABLE queries DROP COLUMN is_labeled;
