-- 0003: the random baseline's learning curve from alp simulate, drawn on the dashboard beside the metric history.
CREATE TABLE simulation_baselines (
    project_id uuid NOT NULL,
    source character varying(500) NOT NULL,
    points jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_simulation_baselines PRIMARY KEY (project_id),
    CONSTRAINT fk_simulation_baselines_projects_project_id FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);
