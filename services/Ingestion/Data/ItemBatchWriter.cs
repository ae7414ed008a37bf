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
/// Duplicates are found exactly by INSERT … ORDER BY ord ON CONFLICT DO NOTHING, but that costs the database a
/// speculative insertion per row, so only the rows that need it take that path. A <see cref="BatchKeyFilter"/> tells
/// the rows that share no key with an earlier row of the batch ("clean") from those that may ("suspects": real
/// duplicates and the filter's rare false alarms). A clean row can only conflict with items already in the project,
/// so the suspects alone, moved last in batch order with ON CONFLICT, give exactly the first-occurrence result.
/// <list type="bullet">
/// <item>Direct, into a project without items (the first bulk load): clean rows are copied straight into
/// <c>items</c> while the file is still being read, so parsing and the database's inserts overlap. Suspects wait in
/// a bounded buffer and go to a staging table. An exclusive per-project advisory lock keeps other ingestion out
/// until the commit, so nothing can conflict with the clean rows.</item>
/// <item>Staged, otherwise: every row goes to a temporary staging table; the clean rows are then inserted with a
/// plain INSERT inside a savepoint, and if one of them is already in the project (unique violation) the savepoint is
/// rolled back and every row takes the ON CONFLICT path. Writers hold the lock shared, so they only wait for a
/// direct load.</item>
/// </list>
/// The connection is the DbContext's (opened from the service's <see cref="NpgsqlDataSource"/>), so the COPY, the
/// INSERT and the outbox row share one transaction. Memory stays bounded: rows are written as they are built.
/// </remarks>
internal sealed class ItemBatchWriter : IAsyncDisposable
{
    /// <summary>Suspect rows held in memory (direct mode) before they are flushed to the staging table.</summary>
    internal const int MaxBufferedSuspects = 10_000;

    /// <summary>Characters of payload held in memory (direct mode) before they are flushed, since a row may be 1 MiB.</summary>
    internal const int MaxBufferedSuspectChars = 4 << 20;

    private const string CreateStagingTable = """
        CREATE TEMP TABLE ingest_rows (
            ord bigint NOT NULL, external_id text NOT NULL, content_hash bytea NOT NULL, payload jsonb NOT NULL, seed_label text,
            suspect boolean NOT NULL
        ) ON COMMIT DROP
        """;

    private const string InsertCleanRows = """
        INSERT INTO items (project_id, external_id, content_hash, payload, seed_label, is_labeled, created_at)
        SELECT @project, external_id, content_hash, payload, seed_label, seed_label IS NOT NULL, now()
        FROM ingest_rows WHERE NOT suspect ORDER BY ord
        """;

    private const string MoveRows = """
        WITH inserted AS (
            INSERT INTO items (project_id, external_id, content_hash, payload, seed_label, is_labeled, created_at)
            SELECT @project, external_id, content_hash, payload, seed_label, seed_label IS NOT NULL, now()
            FROM ingest_rows WHERE suspect OR @all ORDER BY ord
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
    private const string CleanSavepoint = "ingest_clean";

    private readonly PlatformDbContext _db;
    private readonly IDbContextTransaction _transaction;
    private readonly NpgsqlConnection _connection;
    private readonly Guid _projectId;
    private readonly TimeSpan _statementTimeout;
    private readonly BatchKeyFilter _filter;
    private readonly List<StagedItem> _suspects = [];
    private readonly DateTime _createdAt;
    private long _suspectChars;
    private NpgsqlBinaryImporter? _importer;
    private bool _importerIsStaging;
    private bool _stagingCreated;
    private int _clean;
    private int _cleanSeedLabels;
    private bool _completed;

    private ItemBatchWriter(
        PlatformDbContext db, IDbContextTransaction transaction, Guid projectId, TimeSpan statementTimeout, DateTime createdAt, bool direct, BatchKeyFilter filter)
    {
        _createdAt = createdAt;
        _db = db;
        _transaction = transaction;
        _connection = (NpgsqlConnection)db.Database.GetDbConnection();
        _projectId = projectId;
        _statementTimeout = statementTimeout;
        IsDirect = direct;
        _filter = filter;
    }

    /// <summary>Rows written so far.</summary>
    public int Staged { get; private set; }

    /// <summary>True when clean rows go straight into <c>items</c> (the project had no items); see the remarks.</summary>
    public bool IsDirect { get; }

    /// <summary>Rows that took the exact, slower path (duplicates and the filter's false alarms).</summary>
    public int Suspects { get; private set; }

    /// <summary>
    /// Begins the transaction and chooses the way in. The caller may run its own statements on <paramref name="db"/>
    /// (e.g. the inbox record) before the first <see cref="WriteAsync"/>. <paramref name="filter"/> creates the
    /// batch's duplicate filter, sized for the batch.
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

            return new ItemBatchWriter(db, transaction, projectId, statementTimeout, now, direct, filter());
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
        var suspect = _filter.AddAndCheck(item.ContentHash, item.ExternalId);
        if (suspect)
        {
            Suspects++;
        }
        else
        {
            _clean++;
            _cleanSeedLabels += item.SeedLabel is null ? 0 : 1;
        }

        if (!IsDirect)
        {
            await WriteStagedAsync(item, suspect, cancellationToken);
        }
        else if (suspect)
        {
            _suspects.Add(item);
            _suspectChars += item.Payload.Length;
            if (_suspects.Count >= MaxBufferedSuspects || _suspectChars >= MaxBufferedSuspectChars)
            {
                await FlushSuspectsAsync(cancellationToken);
            }
        }
        else
        {
            var importer = await ImporterAsync(staging: false, cancellationToken);
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(_projectId, NpgsqlDbType.Uuid, cancellationToken);
            await importer.WriteAsync(item.ExternalId, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(item.ContentHash, NpgsqlDbType.Bytea, cancellationToken);
            await importer.WriteAsync(item.Payload, NpgsqlDbType.Jsonb, cancellationToken);
            await WriteLabelAsync(importer, item.SeedLabel, cancellationToken);
            await importer.WriteAsync(item.SeedLabel is not null, NpgsqlDbType.Boolean, cancellationToken);
            await importer.WriteAsync(_createdAt, NpgsqlDbType.TimestampTz, cancellationToken);
        }
    }

    /// <summary>
    /// Moves the staged rows into <c>items</c>, writes <see cref="ItemsIngested"/> to the outbox and commits. The
    /// caller then calls <see cref="OutboxSignal.Notify"/>.
    /// </summary>
    public async Task<IngestCounts> CompleteAsync(Guid projectId, Guid batchId, int received, int rejected, CancellationToken cancellationToken)
    {
        await FlushSuspectsAsync(cancellationToken);
        await CloseImporterAsync(cancellationToken);
        var (inserted, seedLabels) = IsDirect ? (_clean, _cleanSeedLabels) : (0, 0);
        if (_stagingCreated)
        {
            var all = false;
            if (!IsDirect && _clean > 0)
            {
                var transaction = (NpgsqlTransaction)_transaction.GetDbTransaction();
                await transaction.SaveAsync(CleanSavepoint, cancellationToken);
                try
                {
                    await using var command = Command(InsertCleanRows, _connection, transaction, projectId, _statementTimeout);
                    inserted = await command.ExecuteNonQueryAsync(cancellationToken);
                    seedLabels = _cleanSeedLabels;
                    await transaction.ReleaseAsync(CleanSavepoint, cancellationToken);
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
                {
                    // Some clean row is already in the project: let every row take the exact path.
                    await transaction.RollbackAsync(CleanSavepoint, cancellationToken);
                    (inserted, seedLabels, all) = (0, 0, true);
                }
            }

            var (moved, movedSeedLabels) = await MoveAsync(projectId, all, cancellationToken);
            inserted += moved;
            seedLabels += movedSeedLabels;
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

    /// <summary>Inserts the suspect rows (or, with <paramref name="all"/>, every staged row) in batch order, skipping duplicates.</summary>
    private async Task<(int Inserted, int SeedLabels)> MoveAsync(Guid projectId, bool all, CancellationToken cancellationToken)
    {
        await using var command = Command(MoveRows, _connection, (NpgsqlTransaction)_transaction.GetDbTransaction(), projectId, _statementTimeout);
        command.Parameters.AddWithValue("all", all);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0), reader.GetInt32(1));
    }

    private async Task WriteStagedAsync(StagedItem item, bool suspect, CancellationToken cancellationToken)
    {
        var importer = await ImporterAsync(staging: true, cancellationToken);
        await importer.StartRowAsync(cancellationToken);
        await importer.WriteAsync(item.Row, NpgsqlDbType.Bigint, cancellationToken);
        await importer.WriteAsync(item.ExternalId, NpgsqlDbType.Text, cancellationToken);
        await importer.WriteAsync(item.ContentHash, NpgsqlDbType.Bytea, cancellationToken);
        await importer.WriteAsync(item.Payload, NpgsqlDbType.Jsonb, cancellationToken);
        await WriteLabelAsync(importer, item.SeedLabel, cancellationToken);
        await importer.WriteAsync(suspect, NpgsqlDbType.Boolean, cancellationToken);
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
            await WriteStagedAsync(suspect, suspect: true, cancellationToken);
        }

        _suspects.Clear();
        _suspectChars = 0;
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
                ? "COPY ingest_rows (ord, external_id, content_hash, payload, seed_label, suspect) FROM STDIN (FORMAT BINARY)"
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
