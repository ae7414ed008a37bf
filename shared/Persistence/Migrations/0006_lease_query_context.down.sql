ALTER TABLE item_leases DROP COLUMN query_score;
ALTER TABLE item_leases DROP COLUMN query_rank;
