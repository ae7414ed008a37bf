using ActiveLabel.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.IntegrationTests.Persistence;

/// <summary>
/// The migrations are hand-written SQL (EF's scaffolder does not restore here), so this is what keeps them honest:
/// the schema they build must equal the one EF Core derives from the model, column by column, constraint by
/// constraint, index by index.
/// </summary>
public sealed class SchemaMatchesModelTests
{
    private const string Columns = """
        SELECT table_name || '.' || column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '')
               || CASE WHEN is_nullable = 'YES' THEN ' null' ELSE ' not null' END || coalesce(' identity ' || identity_generation, '')
        FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'ef_migrations_history' ORDER BY 1
        """;

    private const string Constraints = """
        SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'ef_migrations_history' ORDER BY 1
        """;

    private const string Indexes = "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'ef_migrations_history' ORDER BY 1";

    [Fact]
    public async Task Migrated_schema_should_equal_the_schema_of_the_EF_model()
    {
        await using var migrated = await TestDatabase.CreateMigratedAsync();
        await using var fromModel = await TestDatabase.CreateEmptyAsync();
        await using (var context = fromModel.CreateContext())
        {
            await context.Database.ExecuteSqlRawAsync(context.Database.GenerateCreateScript());
        }

        await using var migratedConnection = await migrated.OpenConnectionAsync();
        await using var modelConnection = await fromModel.OpenConnectionAsync();
        foreach (var (what, sql) in new[] { ("columns", Columns), ("constraints", Constraints), ("indexes", Indexes) })
        {
            var expected = await TestData.ReadColumnAsync(modelConnection, sql);
            var actual = await TestData.ReadColumnAsync(migratedConnection, sql);
            Assert.True(expected.SequenceEqual(actual),
                $"Migrations and EF model disagree on {what}.\nOnly in model:\n  {string.Join("\n  ", expected.Except(actual))}\nOnly in migrations:\n  {string.Join("\n  ", actual.Except(expected))}");
            Assert.NotEmpty(actual);
        }
    }
}
