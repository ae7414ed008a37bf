using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ActiveLabel.IntegrationTests.Infrastructure;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Dashboard;

/// <summary>The Labeling service as a process on its own database, with two member annotators, a non-member and an admin.</summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    internal TestDatabase Database { get; private set; } = null!;
    internal TestVirtualHost VirtualHost { get; private set; } = null!;
    internal ServiceProcess Labeling { get; private set; } = null!;
    internal string Alice { get; private set; } = null!;
    internal string Bob { get; private set; } = null!;
    internal string Carol { get; private set; } = null!;
    internal string Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateMigratedAsync();
        VirtualHost = await TestVirtualHost.CreateAsync();
        Alice = await Database.CreateUserWithTokenAsync("alice", "annotator");
        Bob = await Database.CreateUserWithTokenAsync("bob", "annotator");
        Carol = await Database.CreateUserWithTokenAsync("carol", "annotator");
        Admin = await Database.CreateUserWithTokenAsync("root", "admin");
        Labeling = await ServiceProcess.StartAsync("Labeling", Database.ConnectionString, VirtualHost.Name);
    }

    public async Task DisposeAsync()
    {
        await Labeling.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }

    /// <summary>A project alice and bob are members of (labels clickbait and legit), with one unlabeled item per text.</summary>
    internal async Task<(Guid Project, long[] Items)> ArrangeProjectAsync(IReadOnlyList<string> texts)
    {
        await using var connection = await Database.OpenConnectionAsync();
        var project = await TestData.InsertProjectAsync(connection, "d-" + Guid.NewGuid().ToString("N")[..8]);
        await TestData.AddMemberAsync(connection, project, "alice");
        await TestData.AddMemberAsync(connection, project, "bob");
        var ids = new long[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            await using var command = new NpgsqlCommand(
                "INSERT INTO items (project_id, external_id, content_hash, payload, is_labeled, created_at) VALUES (@p, @e, @h, @payload::jsonb, false, now()) RETURNING id", connection);
            command.Parameters.AddWithValue("p", project);
            command.Parameters.AddWithValue("e", $"item-{i}");
            command.Parameters.AddWithValue("h", System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));
            command.Parameters.AddWithValue("payload", JsonSerializer.Serialize(new { text = texts[i] }));
            ids[i] = (long)(await command.ExecuteScalarAsync())!;
        }

        return (project, ids);
    }

    /// <summary>Stores a label as the labeling endpoint would (the item becomes labeled); returns its id.</summary>
    internal async Task<long> InsertLabelAsync(Guid project, long item, string annotator, string label, int? timeSpentMs = null, TimeSpan? ago = null)
    {
        await using var connection = await Database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(
            """
            UPDATE items SET is_labeled = true WHERE id = @i;
            INSERT INTO labels (project_id, item_id, annotator, label, request_id, time_spent_ms, created_at)
            VALUES (@p, @i, @a, @l, gen_random_uuid(), @t, now() - @ago) RETURNING id
            """, connection);
        command.Parameters.AddWithValue("p", project);
        command.Parameters.AddWithValue("i", item);
        command.Parameters.AddWithValue("a", annotator);
        command.Parameters.AddWithValue("l", label);
        command.Parameters.AddWithValue("t", timeSpentMs is null ? DBNull.Value : timeSpentMs.Value);
        command.Parameters.AddWithValue("ago", ago ?? TimeSpan.Zero);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    internal async Task InsertModelAsync(Guid project, int version, int labels, long lastLabelId, string metrics, byte[] model, TimeSpan? ago = null)
    {
        await using var connection = await Database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO model_versions (project_id, version, trained_on_labels, last_label_id, metrics, model, training_duration_ms, created_at)
            VALUES (@p, @v, @n, @last, @metrics::jsonb, @model, 1, now() - @ago)
            """, connection);
        command.Parameters.AddWithValue("p", project);
        command.Parameters.AddWithValue("v", version);
        command.Parameters.AddWithValue("n", labels);
        command.Parameters.AddWithValue("last", lastLabelId);
        command.Parameters.AddWithValue("metrics", metrics);
        command.Parameters.AddWithValue("model", model);
        command.Parameters.AddWithValue("ago", ago ?? TimeSpan.Zero);
        await command.ExecuteNonQueryAsync();
    }

    internal async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Labeling.Http.SendAsync(request);
    }

    internal async Task<JsonElement> DashboardAsync(Guid project, string token)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/api/projects/{project}/dashboard", token);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
