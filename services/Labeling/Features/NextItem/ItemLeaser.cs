using Npgsql;

namespace ActiveLabel.Labeling.Features.NextItem;

/// <summary>
/// Hands one annotator the next item: the best-ranked item of the project's current query session that is unlabeled,
/// not leased (or whose lease expired) and not skipped by this annotator; when the session is used up or none exists
/// yet (before the first model), the remaining unlabeled items in content-hash order, a fixed pseudo-random order.
/// The item row is locked with SKIP LOCKED and the lease written in the same statement, and item_leases has one row
/// per item, so two annotators can never hold the same item.
/// </summary>
internal sealed class ItemLeaser(NpgsqlDataSource dataSource)
{
    private const string FromSession = """
        WITH session AS (
            SELECT session_id FROM query_sessions WHERE project_id = @project ORDER BY session_id DESC LIMIT 1
        ), candidate AS (
            SELECT i.id FROM session s
            JOIN queries q ON q.project_id = @project AND q.session_id = s.session_id
            JOIN items i ON i.id = q.item_id
            WHERE NOT i.is_labeled
              AND NOT EXISTS (SELECT 1 FROM item_leases l WHERE l.item_id = i.id AND l.expires_at > now())
              AND NOT EXISTS (SELECT 1 FROM item_skips k WHERE k.item_id = i.id AND k.annotator = @annotator)
            ORDER BY q.rank
            LIMIT 1
            FOR UPDATE OF i SKIP LOCKED
        )
        INSERT INTO item_leases (item_id, project_id, annotator, session_id, leased_at, expires_at)
        SELECT c.id, @project, @annotator, (SELECT session_id FROM session), now(), now() + @duration FROM candidate c
        ON CONFLICT (item_id) DO UPDATE SET annotator = EXCLUDED.annotator, session_id = EXCLUDED.session_id,
            leased_at = EXCLUDED.leased_at, expires_at = EXCLUDED.expires_at
            WHERE item_leases.expires_at <= now()
        RETURNING item_id
        """;

    private const string FromPool = """
        WITH candidate AS (
            SELECT i.id FROM items i
            WHERE i.project_id = @project AND NOT i.is_labeled
              AND NOT EXISTS (SELECT 1 FROM item_leases l WHERE l.item_id = i.id AND l.expires_at > now())
              AND NOT EXISTS (SELECT 1 FROM item_skips k WHERE k.item_id = i.id AND k.annotator = @annotator)
            ORDER BY i.content_hash
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        )
        INSERT INTO item_leases (item_id, project_id, annotator, session_id, leased_at, expires_at)
        SELECT c.id, @project, @annotator, NULL, now(), now() + @duration FROM candidate c
        ON CONFLICT (item_id) DO UPDATE SET annotator = EXCLUDED.annotator, session_id = NULL,
            leased_at = EXCLUDED.leased_at, expires_at = EXCLUDED.expires_at
            WHERE item_leases.expires_at <= now()
        RETURNING item_id
        """;

    private const string Available = """
        NOT i.is_labeled
        AND NOT EXISTS (SELECT 1 FROM item_leases l WHERE l.item_id = i.id AND l.expires_at > now())
        AND NOT EXISTS (SELECT 1 FROM item_skips k WHERE k.item_id = i.id AND k.annotator = @annotator)
        """;

    private const string SessionHasCandidates = $"""
        SELECT EXISTS (
            SELECT 1 FROM queries q JOIN items i ON i.id = q.item_id
            WHERE q.project_id = @project
              AND q.session_id = (SELECT max(session_id) FROM query_sessions WHERE project_id = @project)
              AND {Available})
        """;

    private const string PoolHasCandidates = $"SELECT EXISTS (SELECT 1 FROM items i WHERE i.project_id = @project AND {Available})";

    private const string HeldByAnnotator = """
        SELECT item_id FROM item_leases
        WHERE project_id = @project AND annotator = @annotator AND expires_at > now()
        ORDER BY leased_at
        """;

    private const string Extend = "UPDATE item_leases SET expires_at = now() + @duration WHERE item_id = @item AND annotator = @annotator";

    /// <summary>The leased item's id, or null when nothing is left to label for this annotator.</summary>
    public async Task<long?> LeaseNextAsync(Guid projectId, string annotator, LeaseOptions options, CancellationToken cancellationToken)
    {
        var duration = TimeSpan.FromSeconds(options.LeaseSeconds);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var held = await ReadIdsAsync(connection, HeldByAnnotator, projectId, annotator, duration, cancellationToken);
        if (held.Count >= options.MaxLeasesPerAnnotator)
        {
            await using var extend = new NpgsqlCommand(Extend, connection);
            extend.Parameters.AddWithValue("item", held[0]);
            extend.Parameters.AddWithValue("annotator", annotator);
            extend.Parameters.AddWithValue("duration", duration);
            await extend.ExecuteNonQueryAsync(cancellationToken);
            return held[0];
        }

        // A statement can lose a race: its snapshot predates a lease another annotator committed on the same item, so
        // the insert's conflict check refuses it and no row comes back. Then the session is tried again; the
        // unranked pool is only for when the session has nothing left for this annotator.
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (await LeaseAsync(connection, FromSession, projectId, annotator, duration, cancellationToken) is { } fromSession)
            {
                return fromSession;
            }

            if (await ExistsAsync(connection, SessionHasCandidates, projectId, annotator, cancellationToken))
            {
                continue;
            }

            if (await LeaseAsync(connection, FromPool, projectId, annotator, duration, cancellationToken) is { } fromPool)
            {
                return fromPool;
            }

            if (!await ExistsAsync(connection, PoolHasCandidates, projectId, annotator, cancellationToken))
            {
                return null;
            }
        }

        return null;
    }

    private static async Task<long?> LeaseAsync(
        NpgsqlConnection connection, string sql, Guid projectId, string annotator, TimeSpan duration, CancellationToken cancellationToken)
    {
        var leased = await ReadIdsAsync(connection, sql, projectId, annotator, duration, cancellationToken);
        return leased.Count == 1 ? leased[0] : null;
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string sql, Guid projectId, string annotator, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("annotator", annotator);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<List<long>> ReadIdsAsync(
        NpgsqlConnection connection, string sql, Guid projectId, string annotator, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("annotator", annotator);
        command.Parameters.AddWithValue("duration", duration);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }
}
