-- 0002: annotators can skip items; a skipped item is not served to that annotator again.
CREATE TABLE item_skips (
    item_id bigint NOT NULL,
    annotator character varying(100) NOT NULL,
    project_id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_item_skips PRIMARY KEY (item_id, annotator),
    CONSTRAINT fk_item_skips_items_item_id FOREIGN KEY (item_id) REFERENCES items (id) ON DELETE CASCADE
);
