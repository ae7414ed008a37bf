-- Reverts 0001_initial: drops every table it created (data is lost).
DROP TABLE IF EXISTS queries, labels, item_leases, items, project_members, api_tokens, training_state,
    query_sessions, project_labels, model_versions, users, projects, outbox_messages, inbox_messages;
