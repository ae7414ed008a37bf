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
/// The hot path of the annotators' load is two round trips of prepared statements: the membership check with the
/// caller's state, then the lease of the best candidate from <see cref="CandidateQueue"/> by one single-row statement.
/// The statements that walk the session (its open part, <c>ix_queries_open</c>) with the caller's skips in the query
/// run only when the queue has nothing for the caller.
/// </remarks>
internal sealed class ItemLeaser(NpgsqlDataSource dataSource, CandidateQueue candidates)
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
            query_rank = EXCLUDED.query_rank, query_score = EXCLUDED.query_score, leased_at = EXCLUDED.leased_at, expires_at = EXCLUDED.expires_at
            WHERE item_leases.expires_at <= now()
        RETURNING item_id, expires_at, session_id
        """;

    private const string FromSession = $"""
        WITH candidate AS (
            SELECT i.id, q.rank, q.score FROM queries q
            JOIN items i ON i.id = q.item_id
            WHERE q.project_id = @project AND q.session_id = @session AND NOT q.is_labeled AND {Available}
            ORDER BY q.rank
            LIMIT 1
            FOR NO KEY UPDATE OF i SKIP LOCKED
        ), leased AS (
            INSERT INTO item_leases (item_id, project_id, annotator, session_id, query_rank, query_score, leased_at, expires_at)
            SELECT c.id, @project, @annotator, @session, c.rank, c.score, now(), now() + @duration FROM candidate c
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
            INSERT INTO item_leases (item_id, project_id, annotator, session_id, query_rank, query_score, leased_at, expires_at)
            SELECT c.id, @project, @annotator, NULL, NULL, NULL, now(), now() + @duration FROM candidate c
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

    // Leases one queued candidate unless it was labeled or skipped by the caller since it was read. The item row is
    // locked as on the paths below: a label being stored holds it (and ends its lease) until it commits, so without the
    // lock the insert would find no lease in the way and lease a just-labeled item; the insert's conflict check
    // refuses it when another annotator holds it. Answers whether the caller skipped it (no row when the item is gone
    // or busy) and the lease's expiry (null when refused).
    private const string LeaseCandidate = $"""
        WITH candidate AS (
            SELECT i.id, EXISTS (SELECT 1 FROM item_skips k WHERE k.item_id = i.id AND k.annotator = @annotator) AS skipped
            FROM items i WHERE i.id = @item AND NOT i.is_labeled
            FOR NO KEY UPDATE SKIP LOCKED
        ), leased AS (
            INSERT INTO item_leases (item_id, project_id, annotator, session_id, query_rank, query_score, leased_at, expires_at)
            SELECT c.id, @project, @annotator, @session, @rank, @score, now(), now() + @duration FROM candidate c
            WHERE NOT c.skipped
            {Upsert}
        )
        SELECT c.skipped, (SELECT expires_at FROM leased) FROM candidate c
        """;

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

        if (await LeaseQueuedAsync(connection, projectId, annotator, session, duration, cancellationToken) is { } queued)
        {
            return (LeaseOutcome.Leased, queued);
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

    /// <summary>
    /// The fast path: the first queued candidate the caller can have. Null when the queue has none for this caller;
    /// then the statements below look with the caller's skips in the query.
    /// </summary>
    private async Task<ServedItem?> LeaseQueuedAsync(
        NpgsqlConnection connection, Guid projectId, string annotator, int? session, TimeSpan duration, CancellationToken cancellationToken)
    {
        // Bounded: every refused candidate leaves the queue, but a replica racing for the same items could keep it busy.
        for (var attempt = 0; attempt < 100 && await candidates.TakeAsync(connection, projectId, session, annotator, cancellationToken) is { } candidate; attempt++)
        {
            var command = Command(LeaseCandidate, projectId, annotator);
            command.Parameters.AddWithValue("item", candidate.ItemId);
            command.Parameters.Add(new NpgsqlParameter("session", NpgsqlTypes.NpgsqlDbType.Integer) { Value = (object?)candidate.SessionId ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("rank", NpgsqlTypes.NpgsqlDbType.Integer) { Value = (object?)candidate.Rank ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("score", NpgsqlTypes.NpgsqlDbType.Double) { Value = (object?)candidate.Score ?? DBNull.Value });
            command.Parameters.AddWithValue("duration", duration);
            await using var batch = new NpgsqlBatch(connection) { BatchCommands = { command } };
            await batch.PrepareAsync(cancellationToken);
            bool skipped;
            DateTimeOffset? expires;
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                if (!await reader.ReadAsync(cancellationToken))
                {
                    continue; // labeled, or locked by a label or lease being stored: dropped
                }

                skipped = reader.GetBoolean(0);
                expires = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
            }

            if (expires is { } expiresAt)
            {
                return new ServedItem(
                    candidate.ItemId, candidate.ExternalId, candidate.Payload, expiresAt, candidate.SessionId, candidate.Rank, candidate.Score,
                    candidate.Strategy, candidate.ModelVersion);
            }

            if (skipped)
            {
                candidates.ReturnSkipped(projectId, candidate, annotator);
            }

            // Otherwise labeled or held by someone else since it was read: dropped.
        }

        return null;
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

    // The paths below the queue run rarely, so they are not prepared: each is planned for its own arguments. A cached
    // generic plan made while a table was nearly empty (a new project) walked whole sessions long after it had grown.
    private static async Task<ServedItem?> ServeAsync(NpgsqlConnection connection, NpgsqlBatchCommand command, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { command } };
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
