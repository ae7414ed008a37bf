-- 0001_initial: the platform schema. Derived from the EF model (alp-admin schema-script) and reviewed;
-- SchemaMatchesModelTests keeps it and the model in step.

CREATE TABLE inbox_messages (
    consumer character varying(200) NOT NULL,
    message_key character varying(200) NOT NULL,
    processed_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_inbox_messages PRIMARY KEY (consumer, message_key)
);

CREATE TABLE outbox_messages (
    id bigint GENERATED ALWAYS AS IDENTITY,
    message_type character varying(200) NOT NULL,
    body jsonb NOT NULL,
    trace_parent character varying(128),
    created_at timestamp with time zone NOT NULL,
    dispatched_at timestamp with time zone,
    attempts integer NOT NULL,
    last_error text,
    CONSTRAINT pk_outbox_messages PRIMARY KEY (id)
);

CREATE TABLE projects (
    id uuid NOT NULL,
    name character varying(200) NOT NULL,
    task_type character varying(16) NOT NULL,
    text_columns text[] NOT NULL,
    feature_columns text[] NOT NULL,
    retrain_every integer NOT NULL,
    query_strategy character varying(64) NOT NULL,
    query_batch_size integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_projects PRIMARY KEY (id),
    CONSTRAINT ck_projects_query_batch_size CHECK (query_batch_size >= 1),
    CONSTRAINT ck_projects_retrain_every CHECK (retrain_every >= 1)
);

CREATE TABLE users (
    id character varying(100) NOT NULL,
    display_name character varying(200),
    role character varying(16) NOT NULL,
    password_hash text,
    created_at timestamp with time zone NOT NULL,
    disabled_at timestamp with time zone,
    CONSTRAINT pk_users PRIMARY KEY (id)
);

CREATE TABLE model_versions (
    id bigint GENERATED ALWAYS AS IDENTITY,
    project_id uuid NOT NULL,
    version integer NOT NULL,
    trained_on_labels integer NOT NULL,
    last_label_id bigint NOT NULL,
    metrics jsonb NOT NULL,
    model bytea NOT NULL,
    training_duration_ms integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_model_versions PRIMARY KEY (id),
    CONSTRAINT fk_model_versions_projects_project_id FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);

CREATE TABLE project_labels (
    project_id uuid NOT NULL,
    name character varying(100) NOT NULL,
    description text,
    key character varying(16),
    position integer NOT NULL,
    CONSTRAINT pk_project_labels PRIMARY KEY (project_id, name),
    CONSTRAINT fk_project_labels_projects_project_id FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);

CREATE TABLE query_sessions (
    project_id uuid NOT NULL,
    session_id integer NOT NULL,
    model_version integer,
    strategy character varying(64) NOT NULL,
    query_count integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_query_sessions PRIMARY KEY (project_id, session_id),
    CONSTRAINT fk_query_sessions_projects_project_id FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);

CREATE TABLE training_state (
    project_id uuid NOT NULL,
    labels_observed bigint NOT NULL,
    last_observed_label_id bigint NOT NULL,
    last_event_at timestamp with time zone,
    CONSTRAINT pk_training_state PRIMARY KEY (project_id),
    CONSTRAINT fk_training_state_projects_project_id FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);

CREATE TABLE api_tokens (
    id uuid NOT NULL,
    user_id character varying(100) NOT NULL,
    token_hash bytea NOT NULL,
    name character varying(200) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone,
    revoked_at timestamp with time zone,
    CONSTRAINT pk_api_tokens PRIMARY KEY (id),
    CONSTRAINT fk_api_tokens_users_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE project_members (
    project_id uuid NOT NULL,
    user_id character varying(100) NOT NULL,
    added_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_project_members PRIMARY KEY (project_id, user_id),
    CONSTRAINT fk_project_members_projects_project_id FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT fk_project_members_users_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE items (
    id bigint GENERATED ALWAYS AS IDENTITY,
    project_id uuid NOT NULL,
    external_id character varying(512) NOT NULL,
    content_hash bytea NOT NULL,
    payload jsonb NOT NULL,
    seed_label character varying(100),
    is_labeled boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_items PRIMARY KEY (id),
    CONSTRAINT ck_items_content_hash_length CHECK (octet_length(content_hash) = 32),
    CONSTRAINT fk_items_project_labels_project_id_seed_label FOREIGN KEY (project_id, seed_label) REFERENCES project_labels (project_id, name) ON DELETE RESTRICT,
    CONSTRAINT fk_items_projects_project_id FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);

CREATE TABLE item_leases (
    item_id bigint NOT NULL,
    project_id uuid NOT NULL,
    annotator character varying(100) NOT NULL,
    session_id integer,
    leased_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_item_leases PRIMARY KEY (item_id),
    CONSTRAINT fk_item_leases_items_item_id FOREIGN KEY (item_id) REFERENCES items (id) ON DELETE CASCADE
);

CREATE TABLE labels (
    id bigint GENERATED ALWAYS AS IDENTITY,
    project_id uuid NOT NULL,
    item_id bigint NOT NULL,
    annotator character varying(100) NOT NULL,
    label character varying(100) NOT NULL,
    request_id uuid NOT NULL,
    query_session_id integer,
    query_strategy character varying(64),
    query_score double precision,
    query_rank integer,
    model_version integer,
    time_spent_ms integer,
    comment character varying(2000),
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone,
    CONSTRAINT pk_labels PRIMARY KEY (id),
    CONSTRAINT ck_labels_time_spent CHECK (time_spent_ms IS NULL OR time_spent_ms >= 0),
    CONSTRAINT fk_labels_items_item_id FOREIGN KEY (item_id) REFERENCES items (id) ON DELETE CASCADE,
    CONSTRAINT fk_labels_project_labels_project_id_label FOREIGN KEY (project_id, label) REFERENCES project_labels (project_id, name) ON DELETE RESTRICT
);

CREATE TABLE queries (
    project_id uuid NOT NULL,
    session_id integer NOT NULL,
    rank integer NOT NULL,
    item_id bigint NOT NULL,
    score double precision NOT NULL,
    CONSTRAINT pk_queries PRIMARY KEY (project_id, session_id, rank),
    CONSTRAINT fk_queries_items_item_id FOREIGN KEY (item_id) REFERENCES items (id) ON DELETE CASCADE,
    CONSTRAINT fk_queries_query_sessions_project_id_session_id FOREIGN KEY (project_id, session_id) REFERENCES query_sessions (project_id, session_id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX ix_api_tokens_token_hash ON api_tokens (token_hash);
CREATE INDEX ix_api_tokens_user_id ON api_tokens (user_id);
CREATE INDEX ix_item_leases_project_id_annotator ON item_leases (project_id, annotator);
CREATE INDEX ix_item_leases_project_id_expires_at ON item_leases (project_id, expires_at);
CREATE UNIQUE INDEX ix_items_project_id_content_hash ON items (project_id, content_hash);
CREATE UNIQUE INDEX ix_items_project_id_external_id ON items (project_id, external_id);
CREATE INDEX ix_items_project_id_seed_label ON items (project_id, seed_label);
CREATE INDEX ix_items_unlabeled_pool ON items (project_id, id) WHERE NOT is_labeled;
CREATE UNIQUE INDEX ix_labels_item_id_annotator ON labels (item_id, annotator);
CREATE INDEX ix_labels_project_id_annotator_created_at ON labels (project_id, annotator, created_at);
CREATE INDEX ix_labels_project_id_id ON labels (project_id, id);
CREATE INDEX ix_labels_project_id_label ON labels (project_id, label);
CREATE UNIQUE INDEX ix_labels_project_id_request_id ON labels (project_id, request_id);
CREATE UNIQUE INDEX ix_model_versions_project_id_version ON model_versions (project_id, version);
CREATE INDEX ix_outbox_messages_pending ON outbox_messages (id) WHERE dispatched_at IS NULL;
CREATE UNIQUE INDEX ix_project_labels_project_id_key ON project_labels (project_id, key);
CREATE INDEX ix_project_members_user_id ON project_members (user_id);
CREATE UNIQUE INDEX ix_projects_name ON projects (name);
CREATE INDEX ix_queries_item_id ON queries (item_id);
