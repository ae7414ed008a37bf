ALTER TABLE training_state DROP COLUMN labels_at_last_training;
DROP TABLE item_skips;
