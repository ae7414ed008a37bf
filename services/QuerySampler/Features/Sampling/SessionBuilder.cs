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
internal sealed class SessionBuilder(NpgsqlDataSource dataSource, OutboxSignal outbox, ILogger<SessionBuilder> logger)
{
    private const string InboxName = "query-sampler.model-trained";

    private static readonly Histogram<double> Latency = PlatformTelemetry.Meter.CreateHistogram<double>(
        "alp.query.session_duration", "ms", "Time to rank a pool and store the query session.");

    public async Task BuildAsync(Guid projectId, int modelVersion, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var activity = PlatformTelemetry.ActivitySource.StartActivity("rank pool");
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
        var pool = await ProjectItemsReader.ReadUnlabeledAsync(connection, projectId, int.MaxValue, cancellationToken);
        var ranked = pool.Count == 0 ? [] : await RankAsync(connection, projectId, model, pool, strategyName, batchSize, modelVersion, cancellationToken);

        var sessionId = await NextSessionIdAsync(connection, transaction, projectId, cancellationToken);
        await WriteSessionAsync(connection, transaction, projectId, sessionId, modelVersion, strategyName, pool, ranked, cancellationToken);
        await connection.AddOutboxMessageAsync(transaction,
            new QueriesReady(projectId, sessionId, modelVersion, strategyName, ranked.Count, SchemaVersions.Current, DateTimeOffset.UtcNow), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        outbox.Notify();

        Latency.Record(clock.Elapsed.TotalMilliseconds);
        logger.LogInformation(
            "Session {SessionId} of {ProjectId}: ranked {Pool} items with v{Version} ({Strategy}), kept {Count}, in {ElapsedMs} ms",
            sessionId, projectId, pool.Count, modelVersion, strategyName, ranked.Count, clock.ElapsedMilliseconds);
    }

    private static async Task<IReadOnlyList<RankedItem>> RankAsync(
        NpgsqlConnection connection, Guid projectId, ProjectModel model, List<ItemRow> pool, string strategyName, int batchSize, int seed, CancellationToken cancellationToken)
    {
        var columns = model.Featurizer.Schema.AllColumns.ToArray();
        var features = model.Featurize(ItemTable.FromRows([.. pool.Select(r => r.Columns)], columns));
        var context = new QueryContext { Pool = features, Model = model.Classifier, Training = model.Options, Seed = seed };
        if (strategyName.StartsWith("committee", StringComparison.Ordinal))
        {
            // Committee members are trained on the labeled items, so the strategy needs them too.
            var labeled = (await ProjectItemsReader.ReadLabeledAsync(connection, projectId, cancellationToken))
                .Where(r => model.ClassIndex(r.Label!) >= 0).ToList();
            context = context with
            {
                Labeled = model.Featurize(ItemTable.FromRows([.. labeled.Select(r => r.Columns)], columns)),
                LabeledClasses = [.. labeled.Select(r => model.ClassIndex(r.Label!))],
            };
        }

        return QueryStrategies.Get(strategyName).Rank(context, Math.Min(batchSize, pool.Count));
    }

    private static async Task WriteSessionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, int sessionId, int modelVersion, string strategy,
        List<ItemRow> pool, IReadOnlyList<RankedItem> ranked, CancellationToken cancellationToken)
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
            await import.WriteAsync(pool[item.ItemIndex].ItemId, NpgsqlDbType.Bigint, cancellationToken);
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
