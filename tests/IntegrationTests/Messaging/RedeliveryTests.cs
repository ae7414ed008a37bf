using ActiveLabel.Contracts;
using ActiveLabel.IntegrationTests.Infrastructure;
using ActiveLabel.Learning;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Messaging;

/// <summary>
/// Every consumer is idempotent: the same message, with the same MessageId, delivered twice to the real Trainer and
/// QuerySampler processes changes nothing the first delivery did not. (Ingestion's SubmitItems: see SubmitItemsTests.)
/// </summary>
public sealed class RedeliveryTests(TrainerAndSamplerFixture stack) : IClassFixture<TrainerAndSamplerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task LabelAdded_delivered_twice_should_train_one_model()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        await using var probe = await AmqpProbe.ConnectAsync(stack.VirtualHost.Name);
        var project = await ArrangeProjectAsync(connection, labels: 2);
        var messageId = Guid.NewGuid();
        var labelAdded = LabelAddedFor(project);

        await probe.PublishAsync("LabelAdded", labelAdded, messageId);
        await Wait.UntilAsync(async () => await CountAsync(connection, "model_versions", project.Id) == 1, Timeout, "the first delivery to train a model");
        await probe.PublishAsync("LabelAdded", labelAdded, messageId);
        await WaitUntilConsumedAsync("trainer-label-added");
        await WaitForTrainerAsync(connection, probe);

        Assert.Equal(1, await CountAsync(connection, "model_versions", project.Id));
        Assert.Equal(1, await OutboxCountAsync(connection, project.Id, nameof(ModelTrained)));
    }

    [Fact]
    public async Task ItemsIngested_with_seed_labels_delivered_twice_should_train_one_model()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        await using var probe = await AmqpProbe.ConnectAsync(stack.VirtualHost.Name);
        var project = await ArrangeProjectAsync(connection, labels: 0, seeds: 4);
        var messageId = Guid.NewGuid();
        var ingested = new ItemsIngested(project.Id, Guid.NewGuid(), 4, 4, 0, 0, 4, SchemaVersions.Current, DateTimeOffset.UtcNow);

        await probe.PublishAsync("ItemsIngested", ingested, messageId);
        await Wait.UntilAsync(async () => await CountAsync(connection, "model_versions", project.Id) == 1, Timeout, "the first delivery to train a model");
        await probe.PublishAsync("ItemsIngested", ingested, messageId);
        await WaitUntilConsumedAsync("trainer-items-ingested");
        await WaitForTrainerAsync(connection, probe);

        Assert.Equal(1, await CountAsync(connection, "model_versions", project.Id));
        Assert.Equal(1, await OutboxCountAsync(connection, project.Id, nameof(ModelTrained)));
    }

    [Fact]
    public async Task ModelTrained_delivered_twice_should_make_one_query_session()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        await using var probe = await AmqpProbe.ConnectAsync(stack.VirtualHost.Name);
        var project = await ArrangeProjectAsync(connection, labels: 0);
        await StoreModelAsync(connection, project.Id);
        var messageId = Guid.NewGuid();
        var trained = new ModelTrained(project.Id, 1, 4, 0, new ModelMetrics(null, null, null, null, "test"), SchemaVersions.Current, DateTimeOffset.UtcNow);

        await probe.PublishAsync("ModelTrained", trained, messageId);
        await Wait.UntilAsync(async () => await CountAsync(connection, "query_sessions", project.Id) == 1, Timeout, "the first delivery to rank the pool");
        await probe.PublishAsync("ModelTrained", trained, messageId);
        // The sampler ranks inside Consume: once the queue is empty, the redelivery was handled and acknowledged.
        await WaitUntilConsumedAsync("query-sampler-model-trained");

        Assert.Equal(1, await CountAsync(connection, "query_sessions", project.Id));
        Assert.Equal(1, await OutboxCountAsync(connection, project.Id, nameof(QueriesReady)));
        await using var queries = new NpgsqlCommand("SELECT count(*), count(DISTINCT item_id) FROM queries WHERE project_id = @p", connection);
        queries.Parameters.AddWithValue("p", project.Id);
        await using var reader = await queries.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal((long)project.Unlabeled, reader.GetInt64(0));
        Assert.Equal(reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>The redelivery left the endpoint (consumed and acknowledged), and nothing was parked.</summary>
    private async Task WaitUntilConsumedAsync(string queue)
    {
        await Wait.UntilAsync(async () => await stack.VirtualHost.QueueDepthAsync(queue) == 0, Timeout, $"{queue} to drain");
        Assert.Equal(0, await stack.VirtualHost.QueueDepthAsync(queue + "_error"));
    }

    /// <summary>
    /// The Trainer acknowledges an event before the training check it asks for runs. Its checks run one at a time in
    /// the order asked, so once a check asked later (for another project) has trained, the earlier one has run too.
    /// </summary>
    private static async Task WaitForTrainerAsync(NpgsqlConnection connection, AmqpProbe probe)
    {
        var marker = await ArrangeProjectAsync(connection, labels: 2);
        await probe.PublishAsync("LabelAdded", LabelAddedFor(marker));
        await Wait.UntilAsync(async () => await CountAsync(connection, "model_versions", marker.Id) == 1, Timeout, "a later training check to finish");
    }

    private static LabelAdded LabelAddedFor(ArrangedProject project) =>
        new(project.Id, project.LastLabelId, project.LastItemId, "legit", "ann", null, SchemaVersions.Current, DateTimeOffset.UtcNow);

    /// <summary>
    /// A text project (retrain every 10) with 20 items: the first <paramref name="seeds"/> carry seed labels (alternating
    /// classes), the next <paramref name="labels"/> are labeled by an annotator (alternating classes), the rest unlabeled.
    /// </summary>
    private static async Task<ArrangedProject> ArrangeProjectAsync(NpgsqlConnection connection, int labels, int seeds = 0)
    {
        const int items = 20;
        var project = await TestData.InsertProjectAsync(connection, "redelivery-" + Guid.NewGuid().ToString("N"));
        await using var command = new NpgsqlCommand(
            """
            WITH inserted AS (
                INSERT INTO items (project_id, external_id, content_hash, payload, seed_label, is_labeled, created_at)
                SELECT @p, 'item-' || g, sha256(convert_to(@p::text || g, 'UTF8')),
                       jsonb_build_object('text', CASE WHEN g % 2 = 0 THEN 'you will not believe trick ' || g ELSE 'council approves budget ' || g END),
                       CASE WHEN g <= @seeds THEN CASE WHEN g % 2 = 0 THEN 'clickbait' ELSE 'legit' END END,
                       g <= @seeds + @labels, now()
                FROM generate_series(1, @items) g
                RETURNING id, (substring(external_id FROM 6))::int AS g),
            labeled AS (
                INSERT INTO labels (project_id, item_id, annotator, label, request_id, created_at)
                SELECT @p, id, 'ann', CASE WHEN g % 2 = 0 THEN 'clickbait' ELSE 'legit' END, gen_random_uuid(), now()
                FROM inserted WHERE g > @seeds AND g <= @seeds + @labels ORDER BY g
                RETURNING id, item_id)
            SELECT coalesce(max(id), 0), coalesce(max(item_id), 0) FROM labeled
            """, connection);
        command.Parameters.AddWithValue("p", project);
        command.Parameters.AddWithValue("seeds", seeds);
        command.Parameters.AddWithValue("labels", labels);
        command.Parameters.AddWithValue("items", items);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new ArrangedProject(project, reader.GetInt64(0), reader.GetInt64(1), items - seeds - labels);
    }

    private static async Task StoreModelAsync(NpgsqlConnection connection, Guid project)
    {
        var model = ProjectModel.TrainText(["you will not believe this", "council approves budget", "one weird trick", "minister resigns"], ["clickbait", "legit", "clickbait", "legit"]);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO model_versions (project_id, version, trained_on_labels, last_label_id, labels_seen, metrics, model, training_duration_ms, created_at)
            VALUES (@p, 1, 4, 0, 0, '{}', @model, 1, now())
            """, connection);
        command.Parameters.AddWithValue("p", project);
        command.Parameters.AddWithValue("model", model.Serialize());
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, string table, Guid project)
    {
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table} WHERE project_id = @p", connection);
        command.Parameters.AddWithValue("p", project);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> OutboxCountAsync(NpgsqlConnection connection, Guid project, string contract)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM outbox_messages WHERE body->>'projectId' = @p AND message_type = @type", connection);
        command.Parameters.AddWithValue("p", project.ToString());
        command.Parameters.AddWithValue("type", "ActiveLabel.Contracts." + contract);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private sealed record ArrangedProject(Guid Id, long LastLabelId, long LastItemId, int Unlabeled);
}

/// <summary>One database and virtual host with a Trainer (sweep and idle flush off: only messages ask it to train) and a QuerySampler.</summary>
public sealed class TrainerAndSamplerFixture : IAsyncLifetime
{
    internal TestDatabase Database { get; private set; } = null!;
    internal TestVirtualHost VirtualHost { get; private set; } = null!;
    internal ServiceProcess Trainer { get; private set; } = null!;
    internal ServiceProcess QuerySampler { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateMigratedAsync();
        VirtualHost = await TestVirtualHost.CreateAsync();
        var trainer = ServiceProcess.StartAsync("Trainer", Database.ConnectionString, VirtualHost.Name, environment: new Dictionary<string, string>
        {
            ["Trainer__SweepSeconds"] = "3600",
            ["Trainer__IdleFlushSeconds"] = "0",
        });
        var sampler = ServiceProcess.StartAsync("QuerySampler", Database.ConnectionString, VirtualHost.Name);
        (Trainer, QuerySampler) = (await trainer, await sampler);
    }

    public async Task DisposeAsync()
    {
        await Trainer.DisposeAsync();
        await QuerySampler.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }
}
