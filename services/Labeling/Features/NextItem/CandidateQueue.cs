using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ActiveLabel.Labeling.Features.NextItem;

/// <summary>
/// Per project, the next few items worth serving, read from PostgreSQL in one statement and handed out one by one,
/// so that get-next does not walk the top of the session again on every call. Under load that walk was most of the
/// database's work: the top of a session is the items other annotators hold, and each call stepped over all of them.
/// </summary>
/// <remarks>
/// A candidate is only a hint: the lease is still taken by the unique <c>item_leases</c> row (see
/// <see cref="ItemLeaser"/>), so a stale candidate (labeled, or leased by another replica since it was read) is
/// refused there and dropped. The queue is read again when it runs dry, when a newer session appears, after
/// <see cref="LeaseOptions.CandidateMaxAgeMs"/> (so items whose lease expired come back near the top), and when this
/// process releases a lease (<see cref="Invalidate"/>). Items handed out are remembered for a while and left out of
/// later reads: a read can start before the lease of an item just handed out commits, and under load every read would
/// otherwise bring back the batch being leased.
/// </remarks>
internal sealed class CandidateQueue(IOptions<LeaseOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<Guid, ProjectCandidates> projects = new();

    // The limit is a constant of the statement, so any plan for it, generic or not, knows it is small (a generic plan
    // with the limit as a parameter sorted the whole session).
    private readonly string fromSession = FromSession.Replace("@limit", options.Value.CandidateBatch.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    private readonly string fromPool = FromPool.Replace("@limit", options.Value.CandidateBatch.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    // Unlabeled, not leased; in session rank order, or before the first session in the pool's content-hash order.
    private const string FromSession = """
        SELECT q.item_id, i.external_id, i.payload::text, q.rank, q.score, s.strategy, s.model_version
        FROM queries q
        JOIN items i ON i.id = q.item_id
        JOIN query_sessions s ON s.project_id = q.project_id AND s.session_id = q.session_id
        WHERE q.project_id = @project AND q.session_id = @session AND NOT q.is_labeled AND NOT i.is_labeled
          AND NOT EXISTS (SELECT 1 FROM item_leases l WHERE l.item_id = q.item_id AND l.expires_at > now())
        ORDER BY q.rank
        LIMIT @limit
        """;

    private const string FromPool = """
        SELECT i.id, i.external_id, i.payload::text, NULL::int, NULL::float8, NULL::text, NULL::int
        FROM items i
        WHERE i.project_id = @project AND NOT i.is_labeled
          AND NOT EXISTS (SELECT 1 FROM item_leases l WHERE l.item_id = i.id AND l.expires_at > now())
        ORDER BY i.content_hash
        LIMIT @limit
        """;

    /// <summary>
    /// The best candidate that <paramref name="annotator"/> is not known to have skipped, removed from the queue; null
    /// when nothing is left to read or every queued candidate was skipped by this annotator (the caller then asks the
    /// database with the annotator's skips in the query).
    /// </summary>
    public async Task<Candidate?> TakeAsync(
        NpgsqlConnection connection, Guid projectId, int? session, string annotator, CancellationToken cancellationToken)
    {
        var project = projects.GetOrAdd(projectId, _ => new ProjectCandidates(time, TimeSpan.FromMilliseconds(options.Value.CandidateMaxAgeMs)));
        if (project.TryTake(session, annotator) is { } queued)
        {
            return queued;
        }

        await project.Refill.WaitAsync(cancellationToken);
        try
        {
            // Another request may have refilled while this one waited.
            if (project.TryTake(session, annotator) is { } refilled)
            {
                return refilled;
            }

            if (project.HasCurrentCandidates(session))
            {
                return null; // all of them skipped by this annotator
            }

            var readAt = time.GetTimestamp();
            var candidates = await ReadAsync(connection, projectId, session, cancellationToken);
            project.Replace(session, candidates, readAt);
            return project.TryTake(session, annotator);
        }
        finally
        {
            project.Refill.Release();
        }
    }

    /// <summary>
    /// Puts back a candidate the annotator has skipped, at its place, remembering who skipped it; other annotators
    /// still get it.
    /// </summary>
    public void ReturnSkipped(Guid projectId, Candidate candidate, string annotator)
    {
        if (projects.TryGetValue(projectId, out var project))
        {
            project.Return(candidate, annotator);
        }
    }

    /// <summary>A lease in this project ended without a label: its item should be served again, in rank order.</summary>
    public void Invalidate(Guid projectId)
    {
        if (projects.TryGetValue(projectId, out var project))
        {
            project.Clear();
        }
    }

    private async Task<List<Candidate>> ReadAsync(NpgsqlConnection connection, Guid projectId, int? session, CancellationToken cancellationToken)
    {
        var command = new NpgsqlBatchCommand(session is null ? fromPool : fromSession);
        command.Parameters.AddWithValue("project", projectId);
        if (session is { } sessionId)
        {
            command.Parameters.AddWithValue("session", sessionId);
        }

        // Not prepared: it runs once per batch of candidates, and a prepared statement's cached generic plan, made
        // while the project's tables were still small, kept walking whole sessions (36,000 buffers a read, measured).
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { command } };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var candidates = new List<Candidate>(options.Value.CandidateBatch);
        while (await reader.ReadAsync(cancellationToken))
        {
            candidates.Add(new Candidate(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                session,
                reader.IsDBNull(3) ? null : reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetDouble(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetInt32(6)));
        }

        return candidates;
    }

    /// <summary>One project's queue. All state is under <c>gate</c>; <see cref="Refill"/> lets one request read at a time.</summary>
    private sealed class ProjectCandidates(TimeProvider time, TimeSpan maxAge)
    {
        // Far longer than a lease statement takes; an item leased and soon released is let back by Clear.
        private static readonly TimeSpan TakenMemory = TimeSpan.FromSeconds(10);

        private readonly object gate = new();
        private readonly List<Candidate> queue = [];
        private readonly Dictionary<long, HashSet<string>> skippedBy = [];
        private readonly Dictionary<long, long> takenAt = [];
        private int? session;
        private long readAt;
        private bool valid;

        public SemaphoreSlim Refill { get; } = new(1, 1);

        public bool HasCurrentCandidates(int? wanted)
        {
            lock (gate)
            {
                return IsCurrent(wanted) && queue.Count > 0;
            }
        }

        public Candidate? TryTake(int? wanted, string annotator)
        {
            lock (gate)
            {
                if (!IsCurrent(wanted))
                {
                    return null;
                }

                for (var i = 0; i < queue.Count; i++)
                {
                    var candidate = queue[i];
                    if (skippedBy.TryGetValue(candidate.ItemId, out var skippers) && skippers.Contains(annotator))
                    {
                        continue;
                    }

                    queue.RemoveAt(i);
                    takenAt[candidate.ItemId] = time.GetTimestamp();
                    return candidate;
                }

                return null;
            }
        }

        public void Return(Candidate candidate, string annotator)
        {
            lock (gate)
            {
                if (!valid || session != candidate.SessionId)
                {
                    return;
                }

                if (!skippedBy.TryGetValue(candidate.ItemId, out var skippers))
                {
                    skippedBy[candidate.ItemId] = skippers = new HashSet<string>(StringComparer.Ordinal);
                }

                skippers.Add(annotator);
                takenAt.Remove(candidate.ItemId);
                var at = queue.FindIndex(c => Order(c) > Order(candidate));
                queue.Insert(at < 0 ? queue.Count : at, candidate);
            }
        }

        public void Replace(int? newSession, List<Candidate> candidates, long timestamp)
        {
            lock (gate)
            {
                foreach (var (item, at) in takenAt)
                {
                    if (time.GetElapsedTime(at) >= TakenMemory)
                    {
                        takenAt.Remove(item);
                    }
                }

                queue.Clear();
                queue.AddRange(candidates.Where(c => !takenAt.ContainsKey(c.ItemId)));
                skippedBy.Clear();
                session = newSession;
                readAt = timestamp;
                valid = true;
            }
        }

        public void Clear()
        {
            lock (gate)
            {
                valid = false;
                queue.Clear();
                skippedBy.Clear();
                takenAt.Clear();
            }
        }

        private bool IsCurrent(int? wanted) => valid && session == wanted && time.GetElapsedTime(readAt) < maxAge;

        // Pool candidates carry no rank; their queue order is the read order, and a returned one goes to the back.
        private static long Order(Candidate candidate) => candidate.Rank ?? long.MaxValue;
    }
}

/// <summary>An item worth serving, with why it was asked (its session entry), as read into the queue.</summary>
internal sealed record Candidate(
    long ItemId, string ExternalId, string Payload, int? SessionId, int? Rank, double? Score, string? Strategy, int? ModelVersion);
