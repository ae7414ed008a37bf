using Npgsql;

namespace ActiveLabel.IntegrationTests.Infrastructure;

/// <summary>Arranges rows directly in a test database, for tests whose subject is not how the rows got there.</summary>
internal static class TestData
{
    public static async Task<Guid> InsertProjectAsync(NpgsqlConnection connection, string name, Guid? projectId = null)
    {
        var id = projectId ?? Guid.NewGuid();
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO projects (id, name, task_type, text_columns, feature_columns, retrain_every, query_strategy, query_batch_size, created_at)
            VALUES (@id, @name, 'Text', ARRAY['text'], ARRAY[]::text[], 10, 'least_confidence', 100, now());
            INSERT INTO project_labels (project_id, name, key, position) VALUES (@id, 'clickbait', 'c', 0), (@id, 'legit', 'l', 1);
            """, connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("name", name);
        await command.ExecuteNonQueryAsync();
        return id;
    }

    public static async Task<long> InsertItemAsync(NpgsqlConnection connection, Guid project, string externalId, byte[] hash)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO items (project_id, external_id, content_hash, payload, is_labeled, created_at) VALUES (@p, @e, @h, '{\"text\":\"x\"}', false, now()) RETURNING id",
            connection);
        command.Parameters.AddWithValue("p", project);
        command.Parameters.AddWithValue("e", externalId);
        command.Parameters.AddWithValue("h", hash);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A query session of the project ranking <paramref name="rankedItems"/> in that order (rank 1 first).</summary>
    public static async Task InsertSessionAsync(NpgsqlConnection connection, Guid project, int session, params long[] rankedItems)
    {
        await using var batch = new NpgsqlBatch(connection);
        var create = new NpgsqlBatchCommand(
            "INSERT INTO query_sessions (project_id, session_id, model_version, strategy, query_count, created_at) VALUES (@p, @s, @s, 'least_confidence', @n, now())");
        create.Parameters.AddWithValue("p", project);
        create.Parameters.AddWithValue("s", session);
        create.Parameters.AddWithValue("n", rankedItems.Length);
        batch.BatchCommands.Add(create);
        var rank = new NpgsqlBatchCommand(
            "INSERT INTO queries (project_id, session_id, rank, item_id, score) SELECT @p, @s, r.ord, r.item, 1.0 / r.ord FROM unnest(@items) WITH ORDINALITY AS r(item, ord)");
        rank.Parameters.AddWithValue("p", project);
        rank.Parameters.AddWithValue("s", session);
        rank.Parameters.AddWithValue("items", rankedItems);
        batch.BatchCommands.Add(rank);
        await batch.ExecuteNonQueryAsync();
    }

    public static async Task AddMemberAsync(NpgsqlConnection connection, Guid project, string userId)
    {
        await using var command = new NpgsqlCommand("INSERT INTO project_members (project_id, user_id, added_at) VALUES (@p, @u, now())", connection);
        command.Parameters.AddWithValue("p", project);
        command.Parameters.AddWithValue("u", userId);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<List<string>> ReadColumnAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
