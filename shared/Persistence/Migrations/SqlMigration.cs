using Microsoft.EntityFrameworkCore.Migrations;

namespace ActiveLabel.Persistence.Migrations;

/// <summary>
/// A migration whose steps are a reviewed SQL file embedded in this assembly (<c>Migrations/NNNN_name.sql</c>,
/// with <c>NNNN_name.down.sql</c> to revert). EF Core's scaffolder (the Design package) does not restore here, so
/// migrations are written by hand; <c>SchemaMatchesModelTests</c> fails if they drift from the EF model.
/// </summary>
public abstract class SqlMigration(string fileName) : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(ReadScript($"{fileName}.sql"));

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(ReadScript($"{fileName}.down.sql"));

    private static string ReadScript(string name)
    {
        var assembly = typeof(SqlMigration).Assembly;
        var resource = assembly.GetManifestResourceNames().SingleOrDefault(r => r.EndsWith("Migrations." + name, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"Migration script '{name}' is not embedded in {assembly.GetName().Name}.");
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
