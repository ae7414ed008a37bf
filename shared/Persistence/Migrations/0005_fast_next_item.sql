-- 0005: serving the next item stays fast as a query session is used up. Annotators walk a session in rank order
-- and labeled items pile up at its front; with only the items table knowing what is labeled, every lease scanned
-- them all again. queries.is_labeled mirrors items.is_labeled (set in the label's transaction), so the partial index
-- holds only the open part of each session. The same for the unranked pool in its content-hash order.
ALTER TABLE queries ADD COLUMN is_labeled boolean NOT NULL DEFAULT false;
UPDATE queries q SET is_labeled = true FROM items i WHERE i.id = q.item_id AND i.is_labeled;
CREATE INDEX ix_queries_open ON queries (project_id, session_id, rank) WHERE NOT is_labeled;
CREATE INDEX ix_items_unlabeled_by_hash ON items (project_id, content_hash) WHERE NOT is_labeled;
