using System.Diagnostics;
using System.Diagnostics.Metrics;
using ActiveLabel.Contracts;
using ActiveLabel.Learning;
using ActiveLabel.Persistence.Reading;
using ActiveLabel.ServiceDefaults.Messaging;
using ActiveLabel.ServiceDefaults.Telemetry;
using Npgsql;
using NpgsqlTypes;

namespace ActiveLabel.QuerySampler.Features.Sampling;

/// <summary>
/// Ranks a project's unlabeled pool with its newest model and the project's strategy, and stores the ranking as the
/// next query session, with <see cref="QueriesReady"/> in the same transaction. One builder per project at a time
/// (transaction-scoped advisory lock); a model that is no longer the newest is not ranked with, since a newer one will.
/// </summary>
internal sealed class SessionBuilder(NpgsqlDataSource dataSource, PoolCache pools, OutboxSignal outbox, ILogger<SessionBuilder> logger)
{
    private const string InboxName = "query-sampler.model-trained";

    /// <summary>
    /// <c>alp.query.session_duration</c> (ms): query latency from consuming <c>ModelTrained</c> to the committed query
    /// session and its <c>QueriesReady</c> (read the pool, rank it, store the session).
    /// </summary>
    private static readonly Histogram<double> Latency = PlatformTelemetry.Meter.CreateHistogram<double>(
        "alp.query.session_duration", "ms", "Time to rank a pool and store the query session.");

    /// <summary>
    /// <c>alp.query.ready_latency</c> (ms): from the model's <c>ModelTrained</c> (its training committed) to its query
    /// session and <c>QueriesReady</c> committed: the delivery through the broker plus the session build.
    /// </summary>
    private static readonly Histogram<double> ReadyLatency = PlatformTelemetry.Meter.CreateHistogram<double>(
        "alp.query.ready_latency", "ms", "Time from ModelTrained to the committed query session and QueriesReady.");

    private static readonly Histogram<double> StageLatency = PlatformTelemetry.Meter.CreateHistogram<double>(
        "alp.query.stage_duration", "ms", "Time of one stage of building a query session (tag stage).");

    /// <summary>Ranks the pool with model <paramref name="modelVersion"/>, stored (and announced) at <paramref name="trainedAt"/>.</summary>
    public async Task BuildAsync(Guid projectId, int modelVersion, DateTimeOffset trainedAt, CancellationToken cancellationToken)
    {
        var deliveryMs = (DateTimeOffset.UtcNow - trainedAt).TotalMilliseconds;
        var clock = Stopwatch.StartNew();
        // Process CPU time says how much work a session is on a machine busy with other work, where wall time says little.
        var cpu = Environment.CpuUsage.TotalTime;
        var stage = Stopwatch.StartNew();
        using var activity = PlatformTelemetry.ActivitySource.StartActivity("build query session");
        activity?.SetTag("alp.project_id", projectId);
        activity?.SetTag("alp.model_version", modelVersion);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(hashtextextended('sample:' || @project::text, 0))", projectId, cancellationToken);
        if (!await RecordInboxAsync(connection, transaction, projectId, modelVersion, cancellationToken))
        {
            return; // Already ranked with this model (a redelivery).
        }

        var newest = await ReadNewestModelAsync(connection, transaction, projectId, cancellationToken);
        if (newest is null || newest.Value.Version != modelVersion)
        {
            logger.LogInformation("Skipped ranking {ProjectId} with v{Version}: v{Newest} is newer", projectId, modelVersion, newest?.Version);
            await transaction.CommitAsync(cancellationToken);
            return;
        }

        var (strategyName, batchSize) = await ReadStrategyAsync(connection, transaction, projectId, cancellationToken);
        var model = ProjectModel.Deserialize(newest.Value.Model);
        var modelMs = Lap(stage, "model");

        var timings = new PoolTimings();
        var pool = await pools.PrepareAsync(connection, transaction, projectId, model.Featurizer, timings, cancellationToken);
        StageLatency.Record(timings.ListMs, new KeyValuePair<string, object?>("stage", "list"));
        StageLatency.Record(timings.LoadMs, new KeyValuePair<string, object?>("stage", "load"));
        StageLatency.Record(timings.FeaturizeMs, new KeyValuePair<string, object?>("stage", "featurize"));
        stage.Restart();

        var ranked = pool.ItemIds.Length == 0 ? [] : await RankAsync(connection, model, pool.Features, strategyName, batchSize, modelVersion, projectId, cancellationToken);
        var scoreMs = Lap(stage, "score");

        var sessionId = await NextSessionIdAsync(connection, transaction, projectId, cancellationToken);
        await WriteSessionAsync(connection, transaction, projectId, sessionId, modelVersion, strategyName, pool.ItemIds, ranked, cancellationToken);
        await connection.AddOutboxMessageAsync(transaction,
            new QueriesReady(projectId, sessionId, modelVersion, strategyName, ranked.Count, SchemaVersions.Current, DateTimeOffset.UtcNow), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        outbox.Notify();
        var writeMs = Lap(stage, "write");

        Latency.Record(clock.Elapsed.TotalMilliseconds);
        ReadyLatency.Record((DateTimeOffset.UtcNow - trainedAt).TotalMilliseconds);
        logger.LogInformation(
            "Session {SessionId} of {ProjectId}: ranked {Pool} items with v{Version} ({Strategy}), kept {Count}, in {ElapsedMs} ms, {CpuMs:0} ms CPU " +
            "(delivery {DeliveryMs:0} ms before it, model {ModelMs:0} ms, list {ListMs:0} ms, load {LoadMs:0} ms for {LoadedItems} new items, featurize {FeaturizeMs:0} ms, score {ScoreMs:0} ms, write {WriteMs:0} ms; " +
            "cache {CachedItems} items, {CachedMegabytes:0} MB, rebuilt {Rebuilt})",
            sessionId, projectId, pool.ItemIds.Length, modelVersion, strategyName, ranked.Count, clock.ElapsedMilliseconds,
            (Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds, deliveryMs, modelMs, timings.ListMs, timings.LoadMs, timings.LoadedItems, timings.FeaturizeMs, scoreMs, writeMs,
            timings.CachedItems, timings.CachedBytes / 1e6, timings.Rebuilt);
    }

    private static double Lap(Stopwatch stage, string name)
    {
        var elapsed = stage.Elapsed.TotalMilliseconds;
        StageLatency.Record(elapsed, new KeyValuePair<string, object?>("stage", name));
        stage.Restart();
        return elapsed;
    }

    private static async Task<IReadOnlyList<RankedItem>> RankAsync(
        NpgsqlConnection connection, ProjectModel model, FeatureMatrix features, string strategyName, int batchSize, int seed, Guid projectId, CancellationToken cancellationToken)
    {
        var context = new QueryContext { Pool = features, Model = model.Classifier, Training = model.Options, Seed = seed };
        if (strategyName.StartsWith("committee", StringComparison.Ordinal))
        {
            // Committee members are trained on the labeled items, so the strategy needs them too.
            var columns = model.Featurizer.Schema.AllColumns.ToArray();
            var labeled = (await ProjectItemsReader.ReadLabeledAsync(connection, projectId, cancellationToken))
                .Where(r => model.ClassIndex(r.Label!) >= 0).ToList();
            context = context with
            {
                Labeled = model.Featurize(ItemTable.FromRows([.. labeled.Select(r => r.Columns)], columns)),
                LabeledClasses = [.. labeled.Select(r => model.ClassIndex(r.Label!))],
            };
        }

        return QueryStrategies.Get(strategyName).Rank(context, Math.Min(batchSize, features.RowCount));
    }

    private static async Task WriteSessionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, int sessionId, int modelVersion, string strategy,
        long[] itemIds, IReadOnlyList<RankedItem> ranked, CancellationToken cancellationToken)
    {
        await using (var session = new NpgsqlCommand(
            "INSERT INTO query_sessions (project_id, session_id, model_version, strategy, query_count, created_at) VALUES (@project, @session, @version, @strategy, @count, now())",
            connection, transaction))
        {
            session.Parameters.AddWithValue("project", projectId);
            session.Parameters.AddWithValue("session", sessionId);
            session.Parameters.AddWithValue("version", modelVersion);
            session.Parameters.AddWithValue("strategy", strategy);
            session.Parameters.AddWithValue("count", ranked.Count);
            await session.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var import = await connection.BeginBinaryImportAsync("COPY queries (project_id, session_id, rank, item_id, score) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var item in ranked)
        {
            await import.StartRowAsync(cancellationToken);
            await import.WriteAsync(projectId, NpgsqlDbType.Uuid, cancellationToken);
            await import.WriteAsync(sessionId, NpgsqlDbType.Integer, cancellationToken);
            await import.WriteAsync(item.Rank + 1, NpgsqlDbType.Integer, cancellationToken);
            await import.WriteAsync(itemIds[item.ItemIndex], NpgsqlDbType.Bigint, cancellationToken);
            await import.WriteAsync(item.Score, NpgsqlDbType.Double, cancellationToken);
        }

        await import.CompleteAsync(cancellationToken);
    }

    private static async Task<bool> RecordInboxAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, int version, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO inbox_messages (consumer, message_key, processed_at) VALUES (@consumer, @key, now()) ON CONFLICT DO NOTHING", connection, transaction);
        command.Parameters.AddWithValue("consumer", InboxName);
        command.Parameters.AddWithValue("key", $"{projectId}:{version}");
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static async Task<(int Version, byte[] Model)?> ReadNewestModelAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT version, model FROM model_versions WHERE project_id = @project ORDER BY version DESC LIMIT 1", connection, transaction);
        command.Parameters.AddWithValue("project", projectId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt32(0), reader.GetFieldValue<byte[]>(1)) : null;
    }

    private static async Task<(string Strategy, int BatchSize)> ReadStrategyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT query_strategy, query_batch_size FROM projects WHERE id = @project", connection, transaction);
        command.Parameters.AddWithValue("project", projectId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetString(0), reader.GetInt32(1));
    }

    private static async Task<int> NextSessionIdAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT coalesce(max(session_id), 0) + 1 FROM query_sessions WHERE project_id = @project", connection, transaction);
        command.Parameters.AddWithValue("project", projectId);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, Guid projectId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("project", projectId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
