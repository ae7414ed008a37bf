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
