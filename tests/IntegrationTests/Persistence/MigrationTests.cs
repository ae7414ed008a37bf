using ActiveLabel.IntegrationTests.Infrastructure;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Persistence;

public sealed class MigrationTests
{
    private static readonly string[] ExpectedTables =
    [
        "api_tokens", "inbox_messages", "item_leases", "item_skips", "items", "labels", "model_versions", "outbox_messages",
        "project_labels", "project_members", "projects", "queries", "query_sessions", "simulation_baselines", "users",
    ];

    [Fact]
    public async Task Should_create_the_schema_from_an_empty_database_and_be_a_no_op_when_run_again()
    {
        await using var database = await TestDatabase.CreateEmptyAsync();

        var first = await database.RunAdminAsync("migrate");
        var second = await database.RunAdminAsync("migrate");

        Assert.Contains("0001_initial", first, StringComparison.Ordinal);
        Assert.Contains("up to date", second, StringComparison.Ordinal);
        await using var connection = await database.OpenConnectionAsync();
        var tables = await TestData.ReadColumnAsync(connection, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'ef_migrations_history' ORDER BY 1");
        Assert.Equal(ExpectedTables, tables);
        var applied = await TestData.ReadColumnAsync(connection, "SELECT \"MigrationId\" FROM ef_migrations_history");
        Assert.Equal(["0001_initial", "0002_item_skips", "0003_simulation_baselines", "0004_training_provenance", "0005_fast_next_item", "0006_lease_query_context", "0007_faster_bulk_import"], applied);
    }

    [Fact]
    public async Task Should_refuse_the_same_content_twice_in_a_project_but_allow_it_in_another()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        await using var connection = await database.OpenConnectionAsync();
        var first = await TestData.InsertProjectAsync(connection, "first");
        var second = await TestData.InsertProjectAsync(connection, "second");
        var hash = System.Security.Cryptography.SHA256.HashData("same headline"u8);

        await TestData.InsertItemAsync(connection, first, "a", hash);
        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => TestData.InsertItemAsync(connection, first, "b", hash));
        await TestData.InsertItemAsync(connection, second, "a", hash);

        Assert.Equal(PostgresErrorCodes.UniqueViolation, duplicate.SqlState);
        Assert.Equal("ix_items_project_id_content_hash", duplicate.ConstraintName);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM items", connection);
        Assert.Equal(2L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Should_refuse_a_label_outside_the_project_label_set()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        await using var connection = await database.OpenConnectionAsync();
        var project = await TestData.InsertProjectAsync(connection, "p");
        var item = await TestData.InsertItemAsync(connection, project, "a", new byte[32]);

        await using var insert = new NpgsqlCommand(
            "INSERT INTO labels (project_id, item_id, annotator, label, request_id, created_at) VALUES (@p, @i, 'ann', 'not-a-label', gen_random_uuid(), now())", connection);
        insert.Parameters.AddWithValue("p", project);
        insert.Parameters.AddWithValue("i", item);
        var error = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, error.SqlState);
    }
}
