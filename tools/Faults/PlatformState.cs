using Npgsql;
using NpgsqlTypes;

namespace ActiveLabel.Faults;

/// <summary>One project's training state: its newest model against the labels stored now.</summary>
internal sealed record ProjectState(
    Guid ProjectId, int RetrainEvery, long LabeledItems, int? NewestVersion, long NewestTrainedOn, long PendingLabels, bool NewestHasSession)
{
    /// <summary>The newest model saw every labeled item, and the QuerySampler ranked the pool with it.</summary>
    public bool CaughtUp => NewestVersion is not null && PendingLabels == 0 && NewestTrainedOn == LabeledItems && NewestHasSession;
}

/// <summary>What the checker reads from the platform's database (plain SQL: it checks the services, so it shares no code with them).</summary>
internal sealed class PlatformState(NpgsqlDataSource db)
{
    // An item counts as labeled for a model when it has a seed label or an annotator label; the Trainer trains on one
    // example per such item (ProjectItemsReader), so a model's trained_on_labels must equal that count.
    private const string ProjectsSql = """
        SELECT p.id, p.retrain_every,
               (SELECT count(*) FROM items i WHERE i.project_id = p.id AND i.is_labeled
                  AND (i.seed_label IS NOT NULL OR EXISTS (SELECT 1 FROM labels l WHERE l.item_id = i.id))),
               newest.version, coalesce(newest.trained_on_labels, 0),
               (SELECT count(*) FROM labels l WHERE l.project_id = p.id) - coalesce(newest.labels_seen, 0),
               EXISTS (SELECT 1 FROM query_sessions s WHERE s.project_id = p.id AND s.model_version = newest.version)
        FROM projects p
        LEFT JOIN LATERAL (SELECT version, trained_on_labels, labels_seen FROM model_versions m
                           WHERE m.project_id = p.id ORDER BY version DESC LIMIT 1) newest ON true
        ORDER BY p.created_at, p.id
        """;

    public async Task<List<ProjectState>> ProjectsAsync(CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(ProjectsSql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var projects = new List<ProjectState>();
        while (await reader.ReadAsync(cancellationToken))
        {
            projects.Add(new ProjectState(
                reader.GetGuid(0), reader.GetInt32(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetInt32(3),
                reader.GetInt32(4), reader.GetInt64(5), reader.GetBoolean(6)));
        }

        return projects;
    }

    public Task<long> UndispatchedOutboxAsync(CancellationToken cancellationToken) =>
        CountAsync("SELECT count(*) FROM outbox_messages WHERE dispatched_at IS NULL", cancellationToken);

    public Task<long> LabelsStoredAsync(CancellationToken cancellationToken) => CountAsync("SELECT count(*) FROM labels", cancellationToken);

    /// <summary>Loads the acknowledgements into a temporary table and runs <paramref name="queries"/> against it.</summary>
    public async Task<Dictionary<string, long>> CountWithAcksAsync(IReadOnlyList<Ack> acks, IReadOnlyDictionary<string, string> queries, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand("CREATE TEMP TABLE acks (label_id bigint, request_id uuid, item_id bigint, annotator text)", connection))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var import = await connection.BeginBinaryImportAsync("COPY acks FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var ack in acks)
            {
                await import.StartRowAsync(cancellationToken);
                await import.WriteAsync(ack.LabelId, NpgsqlDbType.Bigint, cancellationToken);
                await import.WriteAsync(ack.RequestId, NpgsqlDbType.Uuid, cancellationToken);
                await import.WriteAsync(ack.ItemId, NpgsqlDbType.Bigint, cancellationToken);
                await import.WriteAsync(ack.Annotator, NpgsqlDbType.Text, cancellationToken);
            }

            await import.CompleteAsync(cancellationToken);
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, sql) in queries)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            counts[name] = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }

        return counts;
    }

    public async Task<long> CountAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Rows of a query as text, for printing what a failed check found.</summary>
    public async Task<List<string>> RowsAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(string.Join("  ", Enumerable.Range(0, reader.FieldCount).Select(i => $"{reader.GetName(i)}={reader.GetValue(i)}")));
        }

        return rows;
    }
}
