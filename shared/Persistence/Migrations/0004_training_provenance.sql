-- 0004: which replica trained each model version and when it started, so "one training per project at a time across
-- replicas" can be checked from the table; the label rows in the training snapshot, so the retrain trigger counts
-- exactly the labels a model did not see (a label whose id is lower than the snapshot's newest but whose transaction
-- committed after the snapshot was missed by counting ids). training_state is dropped: nothing read it.
ALTER TABLE model_versions ADD COLUMN labels_seen bigint;
ALTER TABLE model_versions ADD COLUMN training_started_at timestamp with time zone;
ALTER TABLE model_versions ADD COLUMN trained_by character varying(200);
UPDATE model_versions m SET labels_seen = (SELECT count(*) FROM labels l WHERE l.project_id = m.project_id AND l.id <= m.last_label_id);
DROP TABLE training_state;
