using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ActiveLabel.IntegrationTests.Infrastructure;
using ActiveLabel.IntegrationTests.Scoring;
using ActiveLabel.Learning;
using ActiveLabel.Persistence.Reading;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Sampling;

/// <summary>
/// The QuerySampler keeps each project's items encoded in memory between models. Its sessions must be exactly what
/// ranking the pool read afresh from PostgreSQL gives (the path before the cache, computed here): same items, ranks
/// and scores, with items added since, labeled items left out, and after a model that tokenizes otherwise or a restart.
/// </summary>
public sealed class PoolCacheTests(PoolCacheFixture stack) : IClassFixture<PoolCacheFixture>
{
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Should_rank_the_cached_pool_exactly_as_the_pool_read_afresh_as_it_grows_is_labeled_and_the_sampler_restarts()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var comments = YouTubeSpam.Load(700);
        var project = await InsertProjectAsync(connection, "text", ["text"], [], ["ham", "spam"]);
        // Even ids only, so that an item committed late with a lower id than the cached ones can be made below; then
        // the generated ids continue above them.
        const long Base = 10_000_000;
        var ids = new List<long>();
        for (var i = 0; i < 500; i++)
        {
            ids.Add(await InsertItemAsync(connection, project, Base + (2L * (i + 1)), new() { ["text"] = comments[i].Text }));
        }

        await using (var skip = new NpgsqlCommand($"SELECT setval(pg_get_serial_sequence('items', 'id'), {2 * Base})", connection))
        {
            await skip.ExecuteScalarAsync();
        }

        var first = ProjectModel.TrainText([.. comments.Take(120).Select(c => c.Text)], [.. comments.Take(120).Select(c => c.Label)]);
        await RankAndCompareAsync(connection, project, 1, first);

        // Labeled since: the ten best-ranked items and a few others; ingested since: new items after the cached ones
        // and one with a lower id (a transaction that committed after the cache was filled).
        var best = await ReadColumnAsync<long>(connection, project, "SELECT item_id FROM queries WHERE project_id = @p AND session_id = 1 AND rank <= 10");
        await LabelAsync(connection, [.. best, ids[0], ids[250], ids[499]]);
        var added = new List<long> { await InsertItemAsync(connection, project, Base + 301, new() { ["text"] = comments[500].Text }) };
        for (var i = 501; i < 560; i++)
        {
            added.Add(await InsertItemAsync(connection, project, null, new() { ["text"] = comments[i].Text }));
        }

        // A later model with another vocabulary.
        var second = ProjectModel.TrainText([.. comments.Skip(300).Take(200).Select(c => c.Text)], [.. comments.Skip(300).Take(200).Select(c => c.Label)]);
        var session = await RankAndCompareAsync(connection, project, 2, second);
        Assert.All(best, id => Assert.DoesNotContain(id, session));
        Assert.All(added, id => Assert.Contains(id, session));

        // A model that tokenizes otherwise (character n-grams): the entry is re-encoded.
        await SetStrategyAsync(connection, project, QueryStrategies.Entropy);
        var characters = ProjectModel.TrainText([.. comments.Take(200).Select(c => c.Text)], [.. comments.Take(200).Select(c => c.Label)],
            new TrainingOptions { Text = new TextFeaturizerOptions { MinCharNgram = 2, MaxCharNgram = 4 } });
        await RankAndCompareAsync(connection, project, 3, characters);

        // A restarted sampler starts empty and reads everything again.
        await stack.RestartQuerySamplerAsync();
        await LabelAsync(connection, [added[0]]);
        await RankAndCompareAsync(connection, project, 4, second);
    }

    [Fact]
    public async Task Should_rank_a_cached_tabular_pool_exactly_as_the_pool_read_afresh()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var lines = File.ReadAllLines(Path.Combine(TestEnvironment.RepoRoot, "datasets", "wine-quality", "wine-color.csv"));
        var header = lines[0].Split(',');
        var features = header.Take(11).ToArray();
        var rows = lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).Where((_, i) => i % 13 == 0).Take(400).ToArray();
        var project = await InsertProjectAsync(connection, "tabular", [], [.. features, "origin"], ["red", "white"]);
        Dictionary<string, string?> Payload(string[] row, int i)
        {
            // Some values missing (null) and a categorical column, as uploads have them.
            var payload = features.Select((f, j) => (f, v: i % 17 == 0 && j == 2 ? null : row[j])).ToDictionary(p => p.f, p => p.v);
            payload["origin"] = (i % 3) switch { 0 => "north", 1 => "south", _ => null };
            return payload;
        }

        for (var i = 0; i < 300; i++)
        {
            await InsertItemAsync(connection, project, null, Payload(rows[i], i));
        }

        var table = new ItemTable(features.Append("origin").ToDictionary(
            c => c, c => (IReadOnlyList<string?>)[.. rows.Take(150).Select((r, i) => Payload(r, i).GetValueOrDefault(c))]));
        var model = ProjectModel.Train(new FeatureSchema([], features, ["origin"]), table, [.. rows.Take(150).Select(r => r[12])]);
        await RankAndCompareAsync(connection, project, 1, model);

        for (var i = 300; i < 400; i++)
        {
            await InsertItemAsync(connection, project, null, Payload(rows[i], i));
        }

        await RankAndCompareAsync(connection, project, 2, model);
    }

    /// <summary>Stores the model, announces it, waits for its session and compares it with the uncached ranking; returns the session's item ids.</summary>
    private async Task<List<long>> RankAndCompareAsync(NpgsqlConnection connection, Guid project, int version, ProjectModel model)
    {
        await using (var store = new NpgsqlCommand(
            """
            INSERT INTO model_versions (project_id, version, trained_on_labels, last_label_id, metrics, model, training_duration_ms, created_at)
            VALUES (@p, @v, 1, 0, '{}', @model, 1, now())
            """, connection))
        {
            store.Parameters.AddWithValue("p", project);
            store.Parameters.AddWithValue("v", version);
            store.Parameters.AddWithValue("model", model.Serialize());
            await store.ExecuteNonQueryAsync();
        }

        await using (var probe = await AmqpProbe.ConnectAsync(stack.VirtualHost.Name))
        {
            await probe.PublishAsync("ModelTrained", new
            {
                projectId = project,
                modelVersion = version,
                trainedOnLabels = 1,
                lastLabelId = 0L,
                metrics = new { method = "test" },
                schemaVersion = 1,
                occurredAt = DateTimeOffset.UtcNow,
            });
        }

        var session = 0;
        await Wait.UntilAsync(async () =>
        {
            var found = await ReadColumnAsync<int>(connection, project, $"SELECT session_id FROM query_sessions WHERE project_id = @p AND model_version = {version}");
            session = found.SingleOrDefault();
            return found.Count == 1;
        }, SessionTimeout, $"the session of model v{version}");

        var expected = await UncachedRankingAsync(connection, project, version, model);
        var actual = new List<(int Rank, long ItemId, double Score)>();
        await using (var read = new NpgsqlCommand("SELECT rank, item_id, score FROM queries WHERE project_id = @p AND session_id = @s ORDER BY rank", connection))
        {
            read.Parameters.AddWithValue("p", project);
            read.Parameters.AddWithValue("s", session);
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                actual.Add((reader.GetInt32(0), reader.GetInt64(1), reader.GetDouble(2)));
            }
        }

        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
        return [.. actual.Select(q => q.ItemId)];
    }

    /// <summary>What the QuerySampler stored before it had a cache: every unlabeled payload read, parsed and featurized anew.</summary>
    private static async Task<List<(int Rank, long ItemId, double Score)>> UncachedRankingAsync(NpgsqlConnection connection, Guid project, int version, ProjectModel model)
    {
        var (strategy, batchSize) = await ReadStrategyAsync(connection, project);
        var pool = await ProjectItemsReader.ReadUnlabeledAsync(connection, project, int.MaxValue, CancellationToken.None);
        var features = model.Featurize(ItemTable.FromRows([.. pool.Select(r => r.Columns)], model.Featurizer.Schema.AllColumns));
        var ranked = QueryStrategies.Get(strategy).Rank(
            new QueryContext { Pool = features, Model = model.Classifier, Training = model.Options, Seed = version }, Math.Min(batchSize, pool.Count));
        return [.. ranked.Select(r => (r.Rank + 1, pool[r.ItemIndex].ItemId, r.Score))];
    }

    private static async Task<Guid> InsertProjectAsync(NpgsqlConnection connection, string kind, string[] textColumns, string[] featureColumns, string[] labels)
    {
        var project = Guid.NewGuid();
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO projects (id, name, task_type, text_columns, feature_columns, retrain_every, query_strategy, query_batch_size, created_at)
            VALUES (@id, @name, @task, @text, @features, 10, 'least_confidence', 1000, now());
            INSERT INTO project_labels (project_id, name, key, position) SELECT @id, l, NULL, o - 1 FROM unnest(@labels) WITH ORDINALITY AS t(l, o);
            """, connection);
        command.Parameters.AddWithValue("id", project);
        command.Parameters.AddWithValue("name", $"{kind}-{project.ToString("N")[..8]}");
        command.Parameters.AddWithValue("task", kind == "text" ? "Text" : "Tabular");
        command.Parameters.AddWithValue("text", textColumns);
        command.Parameters.AddWithValue("features", featureColumns);
        command.Parameters.AddWithValue("labels", labels);
        await command.ExecuteNonQueryAsync();
        return project;
    }

    /// <summary>Inserts an unlabeled item, with the given id when there is one (ids are otherwise generated).</summary>
    private static async Task<long> InsertItemAsync(NpgsqlConnection connection, Guid project, long? id, Dictionary<string, string?> payload)
    {
        var json = JsonSerializer.Serialize(payload);
        await using var command = new NpgsqlCommand(
            id is null
                ? "INSERT INTO items (project_id, external_id, content_hash, payload, is_labeled, created_at) VALUES (@p, @e, @h, @payload::jsonb, false, now()) RETURNING id"
                : "INSERT INTO items (id, project_id, external_id, content_hash, payload, is_labeled, created_at) OVERRIDING SYSTEM VALUE VALUES (@id, @p, @e, @h, @payload::jsonb, false, now()) RETURNING id",
            connection);
        var externalId = Guid.NewGuid().ToString("N");
        command.Parameters.AddWithValue("id", id ?? 0);
        command.Parameters.AddWithValue("p", project);
        command.Parameters.AddWithValue("e", externalId);
        command.Parameters.AddWithValue("h", SHA256.HashData(Encoding.UTF8.GetBytes(externalId + json)));
        command.Parameters.AddWithValue("payload", json);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task LabelAsync(NpgsqlConnection connection, long[] items)
    {
        await using var command = new NpgsqlCommand("UPDATE items SET seed_label = 'ham', is_labeled = true WHERE id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", items);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task SetStrategyAsync(NpgsqlConnection connection, Guid project, string strategy)
    {
        await using var command = new NpgsqlCommand("UPDATE projects SET query_strategy = @s WHERE id = @p", connection);
        command.Parameters.AddWithValue("p", project);
        command.Parameters.AddWithValue("s", strategy);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<(string Strategy, int BatchSize)> ReadStrategyAsync(NpgsqlConnection connection, Guid project)
    {
        await using var command = new NpgsqlCommand("SELECT query_strategy, query_batch_size FROM projects WHERE id = @p", connection);
        command.Parameters.AddWithValue("p", project);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetString(0), reader.GetInt32(1));
    }

    private static async Task<List<T>> ReadColumnAsync<T>(NpgsqlConnection connection, Guid project, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("p", project);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<T>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }
}

/// <summary>One database, virtual host and QuerySampler process for <see cref="PoolCacheTests"/>; the sampler can be restarted.</summary>
public sealed class PoolCacheFixture : IAsyncLifetime
{
    internal TestDatabase Database { get; private set; } = null!;
    internal TestVirtualHost VirtualHost { get; private set; } = null!;
    internal ServiceProcess QuerySampler { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateMigratedAsync();
        VirtualHost = await TestVirtualHost.CreateAsync();
        QuerySampler = await StartAsync();
    }

    internal async Task RestartQuerySamplerAsync()
    {
        Assert.Equal(0, await QuerySampler.TerminateAsync(TimeSpan.FromSeconds(30)));
        await QuerySampler.DisposeAsync();
        QuerySampler = await StartAsync();
    }

    // A small load batch, so that growing the cache takes several round trips, as with a large pool.
    private Task<ServiceProcess> StartAsync() =>
        ServiceProcess.StartAsync("QuerySampler", Database.ConnectionString, VirtualHost.Name,
            environment: new Dictionary<string, string> { ["Sampler__PoolCache__LoadBatchSize"] = "100" });

    public async Task DisposeAsync()
    {
        await QuerySampler.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }
}
