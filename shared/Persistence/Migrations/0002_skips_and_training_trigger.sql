-- 0002: annotators can skip items; the Trainer remembers how many labels it had seen when it last trained.
CREATE TABLE item_skips (
    item_id bigint NOT NULL,
    annotator character varying(100) NOT NULL,
    project_id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_item_skips PRIMARY KEY (item_id, annotator),
    CONSTRAINT fk_item_skips_items_item_id FOREIGN KEY (item_id) REFERENCES items (id) ON DELETE CASCADE
);

ALTER TABLE training_state ADD COLUMN labels_at_last_training bigint NOT NULL DEFAULT 0;
