CREATE TABLE training_state (
    project_id uuid NOT NULL,
    labels_observed bigint NOT NULL,
    last_observed_label_id bigint NOT NULL,
    last_event_at timestamp with time zone,
    CONSTRAINT pk_training_state PRIMARY KEY (project_id),
    CONSTRAINT fk_training_state_projects_project_id FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);
ALTER TABLE model_versions DROP COLUMN trained_by;
ALTER TABLE model_versions DROP COLUMN training_started_at;
ALTER TABLE model_versions DROP COLUMN labels_seen;
