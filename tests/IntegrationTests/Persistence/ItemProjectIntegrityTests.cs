using ActiveLabel.IntegrationTests.Infrastructure;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Persistence;

/// <summary>
/// items.project_id has no row-level foreign key (migration 0007 checks it once per statement, for bulk-import speed);
/// these hold the trigger to everything the foreign key guaranteed.
/// </summary>
public sealed class ItemProjectIntegrityTests : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateMigratedAsync();

    public async Task DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task Items_naming_a_missing_project_should_be_refused_and_none_of_the_statement_stored()
    {
        await using var connection = await database.OpenConnectionAsync();
        var project = await TestData.InsertProjectAsync(connection, "real");

        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection, """
            INSERT INTO items (project_id, external_id, content_hash, payload, is_labeled, created_at)
            VALUES (@p, 'a', sha256('a'), '{}', false, now()), (gen_random_uuid(), 'b', sha256('b'), '{}', false, now())
            """, project));

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, refused.SqlState);
        Assert.Equal(0L, await CountAsync(connection, "SELECT count(*) FROM items"));
    }

    [Fact]
    public async Task Items_copied_in_bulk_for_a_missing_project_should_be_refused()
    {
        await using var connection = await database.OpenConnectionAsync();

        var refused = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var importer = await connection.BeginBinaryImportAsync(
                "COPY items (project_id, external_id, content_hash, payload, is_labeled, created_at) FROM STDIN (FORMAT BINARY)");
            await importer.StartRowAsync();
            await importer.WriteAsync(Guid.NewGuid(), NpgsqlTypes.NpgsqlDbType.Uuid);
            await importer.WriteAsync("x", NpgsqlTypes.NpgsqlDbType.Varchar);
            await importer.WriteAsync(new byte[32], NpgsqlTypes.NpgsqlDbType.Bytea);
            await importer.WriteAsync("{}", NpgsqlTypes.NpgsqlDbType.Jsonb);
            await importer.WriteAsync(false, NpgsqlTypes.NpgsqlDbType.Boolean);
            await importer.WriteAsync(DateTime.UtcNow, NpgsqlTypes.NpgsqlDbType.TimestampTz);
            await importer.CompleteAsync();
        });

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, refused.SqlState);
        Assert.Equal(0L, await CountAsync(connection, "SELECT count(*) FROM items"));
    }

    [Fact]
    public async Task Deleting_a_project_should_delete_its_items_and_their_labels_and_nothing_else()
    {
        await using var connection = await database.OpenConnectionAsync();
        var doomed = await TestData.InsertProjectAsync(connection, "doomed");
        var kept = await TestData.InsertProjectAsync(connection, "kept");
        var doomedItem = await TestData.InsertItemAsync(connection, doomed, "d", new byte[32]);
        await TestData.InsertItemAsync(connection, kept, "k", new byte[32]);
        await ExecuteAsync(connection, "INSERT INTO project_labels (project_id, name, position) VALUES (@p, 'spam', 0)", doomed);
        await ExecuteAsync(connection, $"""
            INSERT INTO labels (project_id, item_id, annotator, label, request_id, created_at)
            VALUES (@p, {doomedItem}, 'someone', 'spam', gen_random_uuid(), now())
            """, doomed);

        await ExecuteAsync(connection, "DELETE FROM projects WHERE id = @p", doomed);

        Assert.Equal(["k"], await TestData.ReadColumnAsync(connection, "SELECT external_id FROM items"));
        Assert.Equal(0L, await CountAsync(connection, "SELECT count(*) FROM labels"));
    }

    [Fact]
    public async Task An_item_should_not_move_to_another_project()
    {
        await using var connection = await database.OpenConnectionAsync();
        var from = await TestData.InsertProjectAsync(connection, "from");
        var to = await TestData.InsertProjectAsync(connection, "to");
        await TestData.InsertItemAsync(connection, from, "i", new byte[32]);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection, "UPDATE items SET project_id = @p", to));

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, refused.SqlState);
        Assert.Equal(1L, await CountAsync(connection, $"SELECT count(*) FROM items WHERE project_id = '{from}'"));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, Guid project)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("p", project);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
