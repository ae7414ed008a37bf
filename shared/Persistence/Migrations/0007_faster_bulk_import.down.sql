DROP TRIGGER projects_delete_items ON projects;
DROP FUNCTION projects_delete_items();
DROP TRIGGER items_project_fixed ON items;
DROP FUNCTION items_keep_project();
DROP TRIGGER items_project_exists ON items;
DROP FUNCTION items_check_projects();
ALTER TABLE items ADD CONSTRAINT fk_items_projects_project_id FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE;
DROP INDEX ix_items_project_id_seed_label;
CREATE INDEX ix_items_project_id_seed_label ON items (project_id, seed_label);
