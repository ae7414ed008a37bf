using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using ActiveLabel.Learning;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace ActiveLabel.QuerySampler.Features.Sampling;

/// <summary>The pool cache's limits (configuration section <c>Sampler:PoolCache</c>), validated at start-up.</summary>
internal sealed class PoolCacheOptions
{
    public const string SectionName = "Sampler:PoolCache";

    /// <summary>
    /// Most items kept encoded across all projects (about 100 bytes per short text, 8 per numeric column); projects
    /// used least recently are dropped first. 0 keeps nothing between sessions: every session encodes its pool anew.
    /// </summary>
    [Range(0, 100_000_000)]
    public int MaxItems { get; set; } = 5_000_000;

    /// <summary>Items read and encoded per round trip when the cache grows.</summary>
    [Range(100, 1_000_000)]
    public int LoadBatchSize { get; set; } = 50_000;
}

/// <summary>The unlabeled pool featurized for one model: row i of <paramref name="Features"/> is item <c>ItemIds[i]</c>, ids ascending.</summary>
internal sealed record PreparedPool(long[] ItemIds, FeatureMatrix Features);

/// <summary>Where the time of preparing a pool went, in milliseconds.</summary>
internal sealed class PoolTimings
{
    public double ListMs { get; set; }
    public double LoadMs { get; set; }
    public int LoadedItems { get; set; }
    public double FeaturizeMs { get; set; }
    public bool Rebuilt { get; set; }
    public long CachedItems { get; set; }
    public long CachedBytes { get; set; }
}

/// <summary>
/// Each project's items, read from PostgreSQL once and kept encoded (<see cref="EncodedPool"/>: n-gram ids, parsed
/// numbers), so a new model ranks a large pool without reading and tokenizing it again. Every preparation lists the
/// project's unlabeled item ids in the caller's transaction (one index-only scan): that list, not the cache, decides
/// the pool, so labeled items are left out and items ingested since (or committed late, with lower ids) are read and
/// encoded before ranking. A model whose featurizer reads other columns, or tokenizes otherwise, rebuilds the project's
/// entry. Memory only: a restarted process starts empty.
/// </summary>
internal sealed class PoolCache(IOptions<PoolCacheOptions> options, ILogger<PoolCache> logger)
{
    private readonly ConcurrentDictionary<Guid, Entry> _entries = new();

    /// <summary>The project's current unlabeled items featurized by <paramref name="featurizer"/>, in id order.</summary>
    public async Task<PreparedPool> PrepareAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, Featurizer featurizer, PoolTimings timings, CancellationToken cancellationToken) =>
        (await UseAsync(connection, transaction, projectId, featurizer, timings, featurize: true, cancellationToken))!;

    /// <summary>Reads and encodes the project's unlabeled items for <paramref name="featurizer"/>'s layout, so the next model finds them ready.</summary>
    public Task WarmAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, Featurizer featurizer, PoolTimings timings, CancellationToken cancellationToken) =>
        UseAsync(connection, transaction, projectId, featurizer, timings, featurize: false, cancellationToken);

    private async Task<PreparedPool?> UseAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, Featurizer featurizer, PoolTimings timings, bool featurize, CancellationToken cancellationToken)
    {
        var entry = _entries.GetOrAdd(projectId, _ => new Entry());
        await entry.Gate.WaitAsync(cancellationToken);
        try
        {
            entry.LastUsed = Stopwatch.GetTimestamp();
            var clock = Stopwatch.StartNew();
            var unlabeled = await ListUnlabeledAsync(connection, transaction, projectId, cancellationToken);
            timings.ListMs = clock.Elapsed.TotalMilliseconds;

            clock.Restart();
            if (entry.Pool is null || !entry.Pool.Fits(featurizer))
            {
                timings.Rebuilt = entry.Pool is not null;
                entry.Reset(EncodedPool.For(featurizer));
            }

            var missing = entry.Missing(unlabeled);
            if (missing.Count > 0)
            {
                timings.LoadedItems = await LoadAsync(connection, transaction, projectId, entry, missing, cancellationToken);
            }

            timings.LoadMs = clock.Elapsed.TotalMilliseconds;
            timings.CachedItems = entry.Pool!.RowCount;
            timings.CachedBytes = entry.Pool.EstimatedBytes;
            if (!featurize)
            {
                return null;
            }

            clock.Restart();
            // An id listed but not loaded was labeled or deleted in between: it is no longer in the pool either way.
            var (ids, rows) = entry.Rows(unlabeled);
            var features = entry.Pool.Transform(featurizer, rows);
            timings.FeaturizeMs = clock.Elapsed.TotalMilliseconds;
            return new PreparedPool(ids, features);
        }
        finally
        {
            if (options.Value.MaxItems == 0)
            {
                entry.Reset(null);
            }

            entry.Gate.Release();
            Trim(projectId);
        }
    }

    /// <summary>Whether another project may still be warmed without evicting one.</summary>
    public bool HasRoom => _entries.Values.Sum(e => (long)(e.Pool?.RowCount ?? 0)) < options.Value.MaxItems;

    private static async Task<long[]> ListUnlabeledAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, CancellationToken cancellationToken)
    {
        // One array value instead of a million rows: far less per-row work on both ends.
        await using var command = new NpgsqlCommand(
            "SELECT ARRAY(SELECT id FROM items WHERE project_id = @project AND NOT is_labeled ORDER BY id)", connection, transaction);
        command.Parameters.AddWithValue("project", projectId);
        return (long[])(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Reads the missing items' columns in batches and encodes them; returns how many were read.</summary>
    private async Task<int> LoadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, Entry entry, List<long> missing, CancellationToken cancellationToken)
    {
        var columns = entry.Pool!.Columns;
        var select = string.Join(", ", columns.Select((_, i) => $"payload ->> @c{i}"));
        // New items usually all come after the cached ones: then a range scan on the pool index, else the ids themselves.
        var filter = missing[0] > entry.MaxId ? "id > @after" : "id = ANY(@ids)";
        await using var command = new NpgsqlCommand(
            $"SELECT id, {select} FROM items WHERE project_id = @project AND NOT is_labeled AND {filter} ORDER BY id", connection, transaction);
        command.Parameters.AddWithValue("project", projectId);
        if (missing[0] > entry.MaxId)
        {
            command.Parameters.AddWithValue("after", entry.MaxId);
        }
        else
        {
            command.Parameters.AddWithValue("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, missing.ToArray());
        }

        for (var i = 0; i < columns.Count; i++)
        {
            command.Parameters.AddWithValue($"c{i}", columns[i]);
        }

        var batchSize = options.Value.LoadBatchSize;
        var loaded = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<long>(Math.Min(batchSize, missing.Count));
        var values = columns.Select(_ => new List<string?>(Math.Min(batchSize, missing.Count))).ToArray();
        while (true)
        {
            var more = await reader.ReadAsync(cancellationToken);
            if (more)
            {
                ids.Add(reader.GetInt64(0));
                for (var c = 0; c < values.Length; c++)
                {
                    values[c].Add(reader.IsDBNull(c + 1) ? null : reader.GetString(c + 1));
                }
            }

            if (ids.Count == batchSize || (!more && ids.Count > 0))
            {
                entry.Append(ids, new ItemTable(columns.Select((c, i) => (c, values[i])).ToDictionary(p => p.c, p => (IReadOnlyList<string?>)p.Item2, StringComparer.Ordinal)));
                loaded += ids.Count;
                ids.Clear();
                foreach (var column in values)
                {
                    column.Clear();
                }
            }

            if (!more)
            {
                break;
            }
        }

        logger.LogDebug("Encoded {Count} new items of {ProjectId}", loaded, projectId);
        return loaded;
    }

    /// <summary>Drops the least recently used other projects while the cache holds more items than allowed.</summary>
    private void Trim(Guid keep)
    {
        var limit = options.Value.MaxItems;
        while (_entries.Values.Sum(e => (long)(e.Pool?.RowCount ?? 0)) > limit)
        {
            var victim = _entries.Where(e => e.Key != keep && e.Value.Pool is not null).OrderBy(e => e.Value.LastUsed).FirstOrDefault();
            if (victim.Value is null || !victim.Value.Gate.Wait(0))
            {
                return; // Only the project just used is left, or the victim is busy: keep it for now.
            }

            try
            {
                victim.Value.Reset(null);
                logger.LogInformation("Dropped the cached pool of {ProjectId} to stay within {MaxItems} items", victim.Key, limit);
            }
            finally
            {
                victim.Value.Gate.Release();
            }
        }
    }

    /// <summary>One project's encoded items and their ids; guarded by <see cref="Gate"/>.</summary>
    private sealed class Entry
    {
        // Item ids in ascending order and the pool row of each: rows are in load order, which is ascending only mostly.
        private long[] _sortedIds = [];
        private int[] _rowOf = [];

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public long LastUsed { get; set; }

        public EncodedPool? Pool { get; private set; }

        public long MaxId => _sortedIds.Length == 0 ? 0 : _sortedIds[^1];

        public void Reset(EncodedPool? pool)
        {
            Pool = pool;
            _sortedIds = [];
            _rowOf = [];
        }

        /// <summary>The listed ids that are not encoded yet, ascending.</summary>
        public List<long> Missing(long[] listed)
        {
            var missing = new List<long>();
            var j = 0;
            foreach (var id in listed)
            {
                while (j < _sortedIds.Length && _sortedIds[j] < id)
                {
                    j++;
                }

                if (j == _sortedIds.Length || _sortedIds[j] != id)
                {
                    missing.Add(id);
                }
            }

            return missing;
        }

        /// <summary>The listed ids that are encoded, with their pool rows.</summary>
        public (long[] Ids, int[] Rows) Rows(long[] listed)
        {
            var ids = new List<long>(listed.Length);
            var rows = new List<int>(listed.Length);
            var j = 0;
            foreach (var id in listed)
            {
                while (j < _sortedIds.Length && _sortedIds[j] < id)
                {
                    j++;
                }

                if (j < _sortedIds.Length && _sortedIds[j] == id)
                {
                    ids.Add(id);
                    rows.Add(_rowOf[j]);
                }
            }

            return ([.. ids], [.. rows]);
        }

        /// <summary>Encodes items (ids ascending) as new rows and merges their ids into the sorted index.</summary>
        public void Append(List<long> ids, ItemTable items)
        {
            var firstRow = Pool!.RowCount;
            Pool.Append(items);
            var merged = new long[_sortedIds.Length + ids.Count];
            var rowOf = new int[merged.Length];
            int a = 0, b = 0;
            for (var k = 0; k < merged.Length; k++)
            {
                if (b == ids.Count || (a < _sortedIds.Length && _sortedIds[a] < ids[b]))
                {
                    merged[k] = _sortedIds[a];
                    rowOf[k] = _rowOf[a++];
                }
                else
                {
                    merged[k] = ids[b];
                    rowOf[k] = firstRow + b++;
                }
            }

            _sortedIds = merged;
            _rowOf = rowOf;
        }
    }
}
