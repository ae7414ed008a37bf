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
/// The one storage path for items (uploads and <c>SubmitItems</c>): in one transaction, rows are streamed with binary
/// COPY into a temporary table, then moved into <c>items</c> by a single INSERT … SELECT … ON CONFLICT DO NOTHING
/// that skips duplicates (same content hash or external id, in the project or earlier in the same batch: rows go
/// in file order, so the first wins), and the <see cref="ItemsIngested"/> event is written to the outbox. Disposing
/// without <see cref="CompleteAsync"/> rolls everything back, so a failed batch leaves no trace.
/// </summary>
/// <remarks>
/// The connection is the DbContext's (opened from the service's <see cref="NpgsqlDataSource"/>), so the COPY, the
/// INSERT and the outbox row share one transaction. Memory stays bounded: rows are written as they are parsed.
/// </remarks>
internal sealed class ItemBatchWriter : IAsyncDisposable
{
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

    private readonly PlatformDbContext _db;
    private readonly IDbContextTransaction _transaction;
    private readonly NpgsqlConnection _connection;
    private readonly TimeSpan _statementTimeout;
    private NpgsqlBinaryImporter? _importer;
    private bool _completed;

    private ItemBatchWriter(PlatformDbContext db, IDbContextTransaction transaction, TimeSpan statementTimeout)
    {
        _db = db;
        _transaction = transaction;
        _connection = (NpgsqlConnection)db.Database.GetDbConnection();
        _statementTimeout = statementTimeout;
    }

    /// <summary>Rows written so far.</summary>
    public int Staged { get; private set; }

    /// <summary>
    /// Begins the transaction and creates the staging table. The caller may run its own statements on
    /// <paramref name="db"/> (e.g. the inbox record) before the first <see cref="WriteAsync"/>.
    /// </summary>
    public static async Task<ItemBatchWriter> BeginAsync(PlatformDbContext db, TimeSpan statementTimeout, CancellationToken cancellationToken)
    {
        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            await db.Database.ExecuteSqlRawAsync(CreateStagingTable, cancellationToken);
            return new ItemBatchWriter(db, transaction, statementTimeout);
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
    }

    public async Task WriteAsync(StagedItem item, CancellationToken cancellationToken)
    {
        if (_importer is null)
        {
            _importer = await _connection.BeginBinaryImportAsync(
                "COPY ingest_rows (ord, external_id, content_hash, payload, seed_label) FROM STDIN (FORMAT BINARY)", cancellationToken);
            _importer.Timeout = _statementTimeout;
        }

        await _importer.StartRowAsync(cancellationToken);
        await _importer.WriteAsync(item.Row, NpgsqlDbType.Bigint, cancellationToken);
        await _importer.WriteAsync(item.ExternalId, NpgsqlDbType.Text, cancellationToken);
        await _importer.WriteAsync(item.ContentHash, NpgsqlDbType.Bytea, cancellationToken);
        await _importer.WriteAsync(item.Payload, NpgsqlDbType.Jsonb, cancellationToken);
        if (item.SeedLabel is null)
        {
            await _importer.WriteNullAsync(cancellationToken);
        }
        else
        {
            await _importer.WriteAsync(item.SeedLabel, NpgsqlDbType.Text, cancellationToken);
        }

        Staged++;
    }

    /// <summary>
    /// Moves the staged rows into <c>items</c>, writes <see cref="ItemsIngested"/> to the outbox and commits. The
    /// caller then calls <see cref="OutboxSignal.Notify"/>.
    /// </summary>
    public async Task<IngestCounts> CompleteAsync(Guid projectId, Guid batchId, int received, int rejected, CancellationToken cancellationToken)
    {
        if (_importer is not null)
        {
            await _importer.CompleteAsync(cancellationToken);
            await _importer.DisposeAsync();
            _importer = null;
        }

        int inserted, seedLabels;
        await using (var command = new NpgsqlCommand(MoveStagedRows, _connection))
        {
            command.Transaction = (NpgsqlTransaction)_transaction.GetDbTransaction();
            command.CommandTimeout = (int)_statementTimeout.TotalSeconds;
            command.Parameters.AddWithValue("project", projectId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (inserted, seedLabels) = (reader.GetInt32(0), reader.GetInt32(1));
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
}
