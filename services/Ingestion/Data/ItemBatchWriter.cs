using ActiveLabel.Contracts;
using ActiveLabel.Persistence;
using ActiveLabel.ServiceDefaults.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace ActiveLabel.Ingestion.Data;

/// <summary>Counts of one stored batch, as announced in <see cref="ItemsIngested"/>.</summary>
internal sealed record IngestCounts(Guid BatchId, int Received, int Inserted, int Duplicates, int Rejected, int SeedLabels);

/// <summary>
/// The one storage path for items (uploads and <c>SubmitItems</c>), in one transaction: rows are streamed with binary
/// COPY as they are built, duplicates (same content hash or external id, in the project or earlier in the same batch;
/// the first in batch order wins) are skipped, and the <see cref="ItemsIngested"/> event is written to the outbox.
/// Disposing without <see cref="CompleteAsync"/> rolls everything back, so a failed batch leaves no trace.
/// </summary>
/// <remarks>
/// Two ways in, chosen per batch (<see cref="IsDirect"/>):
/// <list type="bullet">
/// <item>Into a project without items (the first bulk load): rows that share no key with an earlier row of the batch
/// (<see cref="BatchKeyFilter"/>) are copied straight into <c>items</c>; they cannot conflict with anything. The few
/// that may (real duplicates and the filter's false alarms) wait in a bounded buffer, go to a staging table, and are
/// moved last by INSERT … ORDER BY ord ON CONFLICT DO NOTHING, which keeps the first occurrence exactly. This skips
/// the staging table's second copy and ON CONFLICT's per-row speculative insertion, about half of the database's
/// work. An exclusive per-project advisory lock keeps other ingestion out of the project until the commit.</item>
/// <item>Otherwise every row goes through the staging table and that one INSERT … ON CONFLICT DO NOTHING, under
/// the same lock held shared (writers into non-empty projects do not wait for each other).</item>
/// </list>
/// The connection is the DbContext's (opened from the service's <see cref="NpgsqlDataSource"/>), so the COPY, the
/// INSERT and the outbox row share one transaction. Memory stays bounded: rows are written as they are built.
/// </remarks>
internal sealed class ItemBatchWriter : IAsyncDisposable
{
    /// <summary>Rows that may be duplicates held in memory (direct mode) before they are flushed to the staging table.</summary>
    internal const int MaxBufferedSuspects = 10_000;

    private const string CreateStagingTable = """
        CREATE TEMP TABLE ingest_rows (
            ord bigint NOT NULL, external_id text NOT NULL, content_hash bytea NOT NULL, payload jsonb NOT NULL, seed_label text
        ) ON COMMIT DROP
        """;

    private const string MoveStagedRows = """
        WITH inserted AS (
            INSERT INTO items (project_id, external_id, content_hash, payload, seed_label, is_labeled, created_at)
            SELECT @project, external_id, content_hash, payload, seed_label, seed_label IS NOT NULL, now()
            FROM ingest_rows ORDER BY ord
            ON CONFLICT DO NOTHING
            RETURNING seed_label)
        SELECT count(*)::int, count(seed_label)::int FROM inserted
        """;

    // CASE evaluates the lock only for an empty project. Taken per transaction, so a crash or rollback frees it.
    private const string TryDirect = """
        SELECT now(), CASE WHEN EXISTS (SELECT 1 FROM items WHERE project_id = @project) THEN false
                           ELSE pg_try_advisory_xact_lock(hashtextextended('ingest:' || @project::text, 0)) END
        """;

    // Checked again under the lock: a writer may have committed items between the first look and the lock.
    private const string StillEmpty = "SELECT NOT EXISTS (SELECT 1 FROM items WHERE project_id = @project)";
    private const string LockShared = "SELECT pg_advisory_xact_lock_shared(hashtextextended('ingest:' || @project::text, 0))";

    private readonly PlatformDbContext _db;
    private readonly IDbContextTransaction _transaction;
    private readonly NpgsqlConnection _connection;
    private readonly Guid _projectId;
    private readonly TimeSpan _statementTimeout;
    private readonly BatchKeyFilter? _filter;
    private readonly List<StagedItem> _suspects = [];
    private readonly DateTime _createdAt;
    private NpgsqlBinaryImporter? _importer;
    private bool _importerIsStaging;
    private bool _stagingCreated;
    private int _directInserted;
    private int _directSeedLabels;
    private bool _completed;

    private ItemBatchWriter(
        PlatformDbContext db, IDbContextTransaction transaction, Guid projectId, TimeSpan statementTimeout, DateTime createdAt, BatchKeyFilter? filter)
    {
        _createdAt = createdAt;
        _db = db;
        _transaction = transaction;
        _connection = (NpgsqlConnection)db.Database.GetDbConnection();
        _projectId = projectId;
        _statementTimeout = statementTimeout;
        _filter = filter;
    }

    /// <summary>Rows written so far.</summary>
    public int Staged { get; private set; }

    /// <summary>True when rows go straight into <c>items</c> (the project had no items); see the remarks.</summary>
    public bool IsDirect => _filter is not null;

    /// <summary>Rows that took the exact, slower path in direct mode (duplicates and the filter's false alarms).</summary>
    public int Suspects { get; private set; }

    /// <summary>
    /// Begins the transaction and chooses the way in. The caller may run its own statements on <paramref name="db"/>
    /// (e.g. the inbox record) before the first <see cref="WriteAsync"/>. <paramref name="filter"/> creates the
    /// duplicate filter if the project turns out to be empty.
    /// </summary>
    public static async Task<ItemBatchWriter> BeginAsync(
        PlatformDbContext db, Guid projectId, TimeSpan statementTimeout, Func<BatchKeyFilter> filter, CancellationToken cancellationToken)
    {
        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            var npgsqlTransaction = (NpgsqlTransaction)transaction.GetDbTransaction();
            DateTime now;
            bool direct;
            await using (var command = Command(TryDirect, connection, npgsqlTransaction, projectId, statementTimeout))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                (now, direct) = (reader.GetFieldValue<DateTime>(0), reader.GetBoolean(1));
            }

            direct = direct && await ScalarAsync(connection, npgsqlTransaction, StillEmpty, projectId, statementTimeout, cancellationToken);
            if (!direct)
            {
                // Waits while a direct load holds the project. Already holding it exclusively (a writer filled the
                // project between the two looks) is fine: it is only stricter.
                await ScalarAsync(connection, npgsqlTransaction, LockShared, projectId, statementTimeout, cancellationToken);
            }

            return new ItemBatchWriter(db, transaction, projectId, statementTimeout, now, direct ? filter() : null);
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
    }

    public async Task WriteAsync(StagedItem item, CancellationToken cancellationToken)
    {
        Staged++;
        if (_filter is null)
        {
            await WriteStagedAsync(item, cancellationToken);
            return;
        }

        if (_filter.AddAndCheck(item.ContentHash, item.ExternalId))
        {
            Suspects++;
            _suspects.Add(item);
            if (_suspects.Count >= MaxBufferedSuspects)
            {
                await FlushSuspectsAsync(cancellationToken);
            }

            return;
        }

        var importer = await ImporterAsync(staging: false, cancellationToken);
        await importer.StartRowAsync(cancellationToken);
        await importer.WriteAsync(_projectId, NpgsqlDbType.Uuid, cancellationToken);
        await importer.WriteAsync(item.ExternalId, NpgsqlDbType.Text, cancellationToken);
        await importer.WriteAsync(item.ContentHash, NpgsqlDbType.Bytea, cancellationToken);
        await importer.WriteAsync(item.Payload, NpgsqlDbType.Jsonb, cancellationToken);
        await WriteLabelAsync(importer, item.SeedLabel, cancellationToken);
        await importer.WriteAsync(item.SeedLabel is not null, NpgsqlDbType.Boolean, cancellationToken);
        await importer.WriteAsync(_createdAt, NpgsqlDbType.TimestampTz, cancellationToken);
        _directInserted++;
        _directSeedLabels += item.SeedLabel is null ? 0 : 1;
    }

    /// <summary>
    /// Moves the staged rows into <c>items</c>, writes <see cref="ItemsIngested"/> to the outbox and commits. The
    /// caller then calls <see cref="OutboxSignal.Notify"/>.
    /// </summary>
    public async Task<IngestCounts> CompleteAsync(Guid projectId, Guid batchId, int received, int rejected, CancellationToken cancellationToken)
    {
        await FlushSuspectsAsync(cancellationToken);
        await CloseImporterAsync(cancellationToken);
        int inserted = _directInserted, seedLabels = _directSeedLabels;
        if (_stagingCreated)
        {
            await using var command = Command(MoveStagedRows, _connection, (NpgsqlTransaction)_transaction.GetDbTransaction(), projectId, _statementTimeout);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            inserted += reader.GetInt32(0);
            seedLabels += reader.GetInt32(1);
        }

        var counts = new IngestCounts(batchId, received, inserted, Staged - inserted, rejected, seedLabels);
        _db.AddOutboxMessage(new ItemsIngested(
            projectId, batchId, counts.Received, counts.Inserted, counts.Duplicates, counts.Rejected, counts.SeedLabels, SchemaVersions.Current, DateTimeOffset.UtcNow));
        await _db.SaveChangesAsync(cancellationToken);
        await _transaction.CommitAsync(cancellationToken);
        _completed = true;
        return counts;
    }

    public async ValueTask DisposeAsync()
    {
        if (_importer is not null)
        {
            // Disposing an unfinished import cancels the COPY; the rollback below then discards the staging table.
            try
            {
                await _importer.DisposeAsync();
            }
            catch (Exception ex) when (ex is NpgsqlException or PostgresException or InvalidOperationException)
            {
                // The connection is broken or the COPY already failed; the transaction is lost either way.
            }
        }

        if (!_completed)
        {
            try
            {
                await _transaction.RollbackAsync();
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                // A broken connection has no transaction left to roll back.
            }
        }

        await _transaction.DisposeAsync();
        _db.ChangeTracker.Clear();
    }

    private async Task WriteStagedAsync(StagedItem item, CancellationToken cancellationToken)
    {
        var importer = await ImporterAsync(staging: true, cancellationToken);
        await importer.StartRowAsync(cancellationToken);
        await importer.WriteAsync(item.Row, NpgsqlDbType.Bigint, cancellationToken);
        await importer.WriteAsync(item.ExternalId, NpgsqlDbType.Text, cancellationToken);
        await importer.WriteAsync(item.ContentHash, NpgsqlDbType.Bytea, cancellationToken);
        await importer.WriteAsync(item.Payload, NpgsqlDbType.Jsonb, cancellationToken);
        await WriteLabelAsync(importer, item.SeedLabel, cancellationToken);
    }

    private static async Task WriteLabelAsync(NpgsqlBinaryImporter importer, string? label, CancellationToken cancellationToken)
    {
        if (label is null)
        {
            await importer.WriteNullAsync(cancellationToken);
        }
        else
        {
            await importer.WriteAsync(label, NpgsqlDbType.Text, cancellationToken);
        }
    }

    private async Task FlushSuspectsAsync(CancellationToken cancellationToken)
    {
        foreach (var suspect in _suspects)
        {
            await WriteStagedAsync(suspect, cancellationToken);
        }

        _suspects.Clear();
    }

    /// <summary>The COPY into the staging table or into <c>items</c>; a connection runs one COPY at a time, so switching ends the other.</summary>
    private async ValueTask<NpgsqlBinaryImporter> ImporterAsync(bool staging, CancellationToken cancellationToken)
    {
        if (_importer is not null && _importerIsStaging == staging)
        {
            return _importer;
        }

        await CloseImporterAsync(cancellationToken);
        if (staging && !_stagingCreated)
        {
            await using var create = Command(CreateStagingTable, _connection, (NpgsqlTransaction)_transaction.GetDbTransaction(), null, _statementTimeout);
            await create.ExecuteNonQueryAsync(cancellationToken);
            _stagingCreated = true;
        }

        _importer = await _connection.BeginBinaryImportAsync(
            staging
                ? "COPY ingest_rows (ord, external_id, content_hash, payload, seed_label) FROM STDIN (FORMAT BINARY)"
                : "COPY items (project_id, external_id, content_hash, payload, seed_label, is_labeled, created_at) FROM STDIN (FORMAT BINARY)",
            cancellationToken);
        _importer.Timeout = _statementTimeout;
        _importerIsStaging = staging;
        return _importer;
    }

    private async Task CloseImporterAsync(CancellationToken cancellationToken)
    {
        if (_importer is not null)
        {
            await _importer.CompleteAsync(cancellationToken);
            await _importer.DisposeAsync();
            _importer = null;
        }
    }

    private static async Task<bool> ScalarAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, Guid projectId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var command = Command(sql, connection, transaction, projectId, timeout);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    private static NpgsqlCommand Command(string sql, NpgsqlConnection connection, NpgsqlTransaction transaction, Guid? projectId, TimeSpan timeout)
    {
        var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = (int)timeout.TotalSeconds };
        if (projectId is { } project)
        {
            command.Parameters.AddWithValue("project", project);
        }

        return command;
    }
}
