-- 0006: a lease carries the rank and score its item had in the session it was served from, so storing the label
-- reads its query context from the lease row alone (by primary key) instead of looking the item up in the session.
ALTER TABLE item_leases ADD COLUMN query_rank integer;
ALTER TABLE item_leases ADD COLUMN query_score double precision;
UPDATE item_leases l SET query_rank = q.rank, query_score = q.score
FROM queries q WHERE q.project_id = l.project_id AND q.session_id = l.session_id AND q.item_id = l.item_id;
