using System.Text.Json;
using ActiveLabel.IntegrationTests.Infrastructure;
using ActiveLabel.Learning;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Scoring;

/// <summary>The Scorer tests share one database, virtual host, QuerySampler and Labeling process; each test arranges its own project.</summary>
[CollectionDefinition(Name)]
public sealed class ScorerTests : ICollectionFixture<ScorerFixture>
{
    public const string Name = "Scorer";
}

/// <summary>
/// A migrated database with users of every kind, the real QuerySampler serving gRPC on a free h2c port, and the real
/// Labeling process pointed at it.
/// </summary>
public sealed class ScorerFixture : IAsyncLifetime
{
    /// <summary>An obvious spam comment and an obvious fan comment, in the style of the YouTube spam collection.</summary>
    public const string SpamText = "Check out my channel and subscribe please!!! Free gift cards at http://www.free-gifts.com";
    public const string HamText = "I love this song, the video is amazing";

    internal TestDatabase Database { get; private set; } = null!;
    internal TestVirtualHost VirtualHost { get; private set; } = null!;
    internal ServiceProcess QuerySampler { get; private set; } = null!;
    internal ServiceProcess Labeling { get; private set; } = null!;

    /// <summary>The Scorer's h2c endpoint.</summary>
    internal Uri GrpcAddress { get; private set; } = null!;

    /// <summary>Where protoc wrote the Python messages for the grpcio client.</summary>
    internal string PythonMessages { get; private set; } = null!;

    internal string AnnotatorToken { get; private set; } = null!;
    internal string OutsiderToken { get; private set; } = null!;
    internal string RevokedToken { get; private set; } = null!;
    internal string IngestToken { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        PythonMessages = await InteropClients.GeneratePythonMessagesAsync();
        Database = await TestDatabase.CreateMigratedAsync();
        VirtualHost = await TestVirtualHost.CreateAsync();
        AnnotatorToken = await Database.CreateUserWithTokenAsync("ann1", "annotator");
        OutsiderToken = await Database.CreateUserWithTokenAsync("outsider", "annotator");
        IngestToken = await Database.CreateUserWithTokenAsync("feeder", "ingest");
        RevokedToken = await Database.CreateUserWithTokenAsync("gone", "annotator");
        await Database.RunAdminAsync("tokens", "revoke", "--user", "gone");

        GrpcAddress = new Uri($"http://127.0.0.1:{ServiceProcess.FreePort()}");
        QuerySampler = await ServiceProcess.StartAsync("QuerySampler", Database.ConnectionString, VirtualHost.Name,
            environment: new Dictionary<string, string> { ["Kestrel__Endpoints__Grpc__Url"] = GrpcAddress.ToString() });
        Labeling = await ServiceProcess.StartAsync("Labeling", Database.ConnectionString, VirtualHost.Name,
            environment: new Dictionary<string, string> { ["Scorer__Address"] = GrpcAddress.ToString() });
    }

    public async Task DisposeAsync()
    {
        await Labeling.DisposeAsync();
        await QuerySampler.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
        Directory.Delete(PythonMessages, recursive: true);
    }

    /// <summary>
    /// A text project (labels ham and spam) that ann1 is a member of, holding YouTube comments as items; with
    /// <paramref name="trainModel"/>, a model trained on those comments is stored as version 1.
    /// </summary>
    internal async Task<ScoredProject> ArrangeProjectAsync(bool trainModel = true)
    {
        await using var connection = await Database.OpenConnectionAsync();
        var project = Guid.NewGuid();
        await using (var command = new NpgsqlCommand(
            """
            INSERT INTO projects (id, name, task_type, text_columns, feature_columns, retrain_every, query_strategy, query_batch_size, created_at)
            VALUES (@id, @name, 'Text', ARRAY['text'], ARRAY[]::text[], 10, 'least_confidence', 100, now());
            INSERT INTO project_labels (project_id, name, key, position) VALUES (@id, 'ham', 'h', 0), (@id, 'spam', 's', 1);
            INSERT INTO project_members (project_id, user_id, added_at) VALUES (@id, 'ann1', now());
            """, connection))
        {
            command.Parameters.AddWithValue("id", project);
            command.Parameters.AddWithValue("name", "youtube-" + project.ToString("N")[..8]);
            await command.ExecuteNonQueryAsync();
        }

        var comments = YouTubeSpam.Load(80);
        var itemIds = new List<long>();
        foreach (var (text, _) in comments)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO items (project_id, external_id, content_hash, payload, is_labeled, created_at) VALUES (@p, @e, @h, @payload::jsonb, false, now()) RETURNING id",
                connection);
            insert.Parameters.AddWithValue("p", project);
            insert.Parameters.AddWithValue("e", "c" + itemIds.Count);
            // The collection repeats some comments word for word; the hash only has to be unique here.
            insert.Parameters.AddWithValue("h", System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(itemIds.Count + text)));
            insert.Parameters.AddWithValue("payload", JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = text }));
            itemIds.Add((long)(await insert.ExecuteScalarAsync())!);
        }

        var arranged = new ScoredProject(project, itemIds, comments);
        if (trainModel)
        {
            await arranged.StoreModelAsync(connection, version: 1);
        }

        return arranged;
    }

}

/// <summary>A project arranged by <see cref="ScorerFixture.ArrangeProjectAsync"/>: its items, in the order of their comments.</summary>
internal sealed record ScoredProject(Guid Id, IReadOnlyList<long> ItemIds, IReadOnlyList<(string Text, string Label)> Comments)
{
    /// <summary>Trains a model on the comments (the first <paramref name="take"/> of them) and stores it as a model version.</summary>
    public async Task StoreModelAsync(NpgsqlConnection connection, int version, int? take = null)
    {
        var training = Comments.Take(take ?? Comments.Count).ToList();
        var model = ProjectModel.TrainText([.. training.Select(c => c.Text)], [.. training.Select(c => c.Label)]);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO model_versions (project_id, version, trained_on_labels, last_label_id, metrics, model, training_duration_ms, created_at)
            VALUES (@p, @v, @n, 0, '{}', @model, 1, now())
            """, connection);
        command.Parameters.AddWithValue("p", Id);
        command.Parameters.AddWithValue("v", version);
        command.Parameters.AddWithValue("n", training.Count);
        command.Parameters.AddWithValue("model", model.Serialize());
        await command.ExecuteNonQueryAsync();
    }
}
