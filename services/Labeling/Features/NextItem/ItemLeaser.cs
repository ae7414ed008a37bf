using ActiveLabel.ServiceDefaults.Security;
using Npgsql;

namespace ActiveLabel.Labeling.Features.NextItem;

/// <summary>
/// Hands one annotator the next item: the best-ranked item of the project's current query session that is unlabeled,
/// not leased (or whose lease expired) and not skipped by this annotator; when the session is used up or none exists
/// yet (before the first model), the remaining unlabeled items in content-hash order, a fixed pseudo-random order.
/// The item row is locked with SKIP LOCKED and the lease written in the same statement, and item_leases has one row
/// per item, so two annotators can never hold the same item. The lock is FOR NO KEY UPDATE, not FOR UPDATE: rows that
/// reference an item (a session's queries being written, labels, leases) hold FOR KEY SHARE on it until they commit,
/// which FOR UPDATE conflicts with, so SKIP LOCKED passed over the whole top of a session while the next one was stored.
/// </summary>
/// <remarks>
/// The hot path of the annotators' load: the membership check and the caller's state are one round trip, the lease
/// and everything the answer shows another; statements are prepared (once per pooled connection), and the session
/// walk reads only its open part (<c>ix_queries_open</c>), so its cost does not grow as the session is used up.
/// </remarks>
internal sealed class ItemLeaser(NpgsqlDataSource dataSource)
{
    // The newest session, and the items the caller holds (oldest first).
    private const string State = """
        SELECT (SELECT max(session_id) FROM query_sessions WHERE project_id = @project),
               ARRAY(SELECT item_id FROM item_leases WHERE project_id = @project AND annotator = @annotator AND expires_at > now() ORDER BY leased_at)
        """;

    private const string Available = """
        NOT i.is_labeled
        AND NOT EXISTS (SELECT 1 FROM item_leases l WHERE l.item_id = i.id AND l.expires_at > now())
        AND NOT EXISTS (SELECT 1 FROM item_skips k WHERE k.item_id = i.id AND k.annotator = @annotator)
        """;

    // Each lease statement answers the served item with why it was asked (session entry, strategy, model version).
    private const string Served = """
        SELECT l.item_id, i.external_id, i.payload::text, l.expires_at, l.session_id, q.rank, q.score, s.strategy, s.model_version
        FROM leased l
        JOIN items i ON i.id = l.item_id
        LEFT JOIN queries q ON q.project_id = @project AND q.session_id = l.session_id AND q.item_id = l.item_id
        LEFT JOIN query_sessions s ON s.project_id = @project AND s.session_id = l.session_id
        """;

    private const string Upsert = """
        ON CONFLICT (item_id) DO UPDATE SET annotator = EXCLUDED.annotator, session_id = EXCLUDED.session_id,
            leased_at = EXCLUDED.leased_at, expires_at = EXCLUDED.expires_at
            WHERE item_leases.expires_at <= now()
        RETURNING item_id, expires_at, session_id
        """;

    private const string FromSession = $"""
        WITH candidate AS (
            SELECT i.id FROM queries q
            JOIN items i ON i.id = q.item_id
            WHERE q.project_id = @project AND q.session_id = @session AND NOT q.is_labeled AND {Available}
            ORDER BY q.rank
            LIMIT 1
            FOR NO KEY UPDATE OF i SKIP LOCKED
        ), leased AS (
            INSERT INTO item_leases (item_id, project_id, annotator, session_id, leased_at, expires_at)
            SELECT c.id, @project, @annotator, @session, now(), now() + @duration FROM candidate c
            {Upsert}
        )
        {Served}
        """;

    private const string FromPool = $"""
        WITH candidate AS (
            SELECT i.id FROM items i
            WHERE i.project_id = @project AND {Available}
            ORDER BY i.content_hash
            LIMIT 1
            FOR NO KEY UPDATE SKIP LOCKED
        ), leased AS (
            INSERT INTO item_leases (item_id, project_id, annotator, session_id, leased_at, expires_at)
            SELECT c.id, @project, @annotator, NULL, now(), now() + @duration FROM candidate c
            {Upsert}
        )
        {Served}
        """;

    private const string SessionHasCandidates = $"""
        SELECT EXISTS (
            SELECT 1 FROM queries q JOIN items i ON i.id = q.item_id
            WHERE q.project_id = @project AND q.session_id = @session AND NOT q.is_labeled AND {Available})
        """;

    private const string PoolHasCandidates = $"SELECT EXISTS (SELECT 1 FROM items i WHERE i.project_id = @project AND {Available})";

    private const string Extend = $"""
        WITH leased AS (
            UPDATE item_leases SET expires_at = now() + @duration WHERE item_id = @item AND annotator = @annotator AND project_id = @project
            RETURNING item_id, expires_at, session_id
        )
        {Served}
        """;

    /// <summary>
    /// The leased item, <see cref="LeaseOutcome.NothingLeft"/> when nothing is left to label for this annotator, or
    /// <see cref="LeaseOutcome.NoAccess"/> when the project does not exist or the caller is not a member.
    /// </summary>
    public async Task<(LeaseOutcome Outcome, ServedItem? Item)> LeaseNextAsync(
        Guid projectId, System.Security.Claims.ClaimsPrincipal user, LeaseOptions options, CancellationToken cancellationToken)
    {
        var annotator = user.UserId();
        var duration = TimeSpan.FromSeconds(options.LeaseSeconds);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        int? session;
        long[] held;
        await using (var batch = new NpgsqlBatch(connection))
        {
            batch.BatchCommands.Add(ProjectAccess.AccessCommand(user, projectId));
            batch.BatchCommands.Add(Command(State, projectId, annotator));
            await batch.PrepareAsync(cancellationToken);
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            if (!reader.GetBoolean(0))
            {
                return (LeaseOutcome.NoAccess, null);
            }

            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            session = reader.IsDBNull(0) ? null : reader.GetInt32(0);
            held = reader.GetFieldValue<long[]>(1);
        }

        if (held.Length >= options.MaxLeasesPerAnnotator)
        {
            var extend = Command(Extend, projectId, annotator);
            extend.Parameters.AddWithValue("item", held[0]);
            extend.Parameters.AddWithValue("duration", duration);
            if (await ServeAsync(connection, extend, cancellationToken) is { } again)
            {
                return (LeaseOutcome.Leased, again);
            }
        }

        // A statement can lose a race: its snapshot predates a lease another annotator committed on the same item, so
        // the insert's conflict check refuses it and no row comes back. Then the session is tried again; the
        // unranked pool is only for when the session has nothing left for this annotator.
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (session is { } sessionId)
            {
                if (await ServeAsync(connection, SessionCommand(FromSession, projectId, annotator, sessionId, duration), cancellationToken) is { } ranked)
                {
                    return (LeaseOutcome.Leased, ranked);
                }

                if (await ExistsAsync(connection, SessionCommand(SessionHasCandidates, projectId, annotator, sessionId, null), cancellationToken))
                {
                    continue;
                }
            }

            var pool = Command(FromPool, projectId, annotator);
            pool.Parameters.AddWithValue("duration", duration);
            if (await ServeAsync(connection, pool, cancellationToken) is { } unranked)
            {
                return (LeaseOutcome.Leased, unranked);
            }

            if (!await ExistsAsync(connection, Command(PoolHasCandidates, projectId, annotator), cancellationToken))
            {
                return (LeaseOutcome.NothingLeft, null);
            }
        }

        return (LeaseOutcome.NothingLeft, null);
    }

    private static NpgsqlBatchCommand Command(string sql, Guid projectId, string annotator)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("annotator", annotator);
        return command;
    }

    private static NpgsqlBatchCommand SessionCommand(string sql, Guid projectId, string annotator, int sessionId, TimeSpan? duration)
    {
        var command = Command(sql, projectId, annotator);
        command.Parameters.AddWithValue("session", sessionId);
        if (duration is { } d)
        {
            command.Parameters.AddWithValue("duration", d);
        }

        return command;
    }

    private static async Task<ServedItem?> ServeAsync(NpgsqlConnection connection, NpgsqlBatchCommand command, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { command } };
        await batch.PrepareAsync(cancellationToken);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new ServedItem(
            reader.GetInt64(0),
            reader.GetString(1),
            reader.GetString(2),
            reader.GetFieldValue<DateTimeOffset>(3),
            reader.IsDBNull(4) ? null : reader.GetInt32(4),
            reader.IsDBNull(5) ? null : reader.GetInt32(5),
            reader.IsDBNull(6) ? null : reader.GetDouble(6),
            reader.IsDBNull(7) ? null : reader.GetString(7),
            reader.IsDBNull(8) ? null : reader.GetInt32(8));
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, NpgsqlBatchCommand command, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { command } };
        await batch.PrepareAsync(cancellationToken);
        return (bool)(await batch.ExecuteScalarAsync(cancellationToken))!;
    }
}

/// <summary>What <see cref="ItemLeaser.LeaseNextAsync"/> found.</summary>
internal enum LeaseOutcome
{
    Leased,
    NothingLeft,
    NoAccess,
}

/// <summary>A leased item with its payload (JSON text) and the query session entry that ranked it, if any.</summary>
internal sealed record ServedItem(
    long ItemId, string ExternalId, string Payload, DateTimeOffset ExpiresAt, int? SessionId, int? Rank, double? Score, string? Strategy, int? ModelVersion);
