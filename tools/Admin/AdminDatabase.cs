using ActiveLabel.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ActiveLabel.Admin;

/// <summary>Opens the platform database from <c>ConnectionStrings__Platform</c>, as the services do.</summary>
internal static class AdminDatabase
{
    public static PlatformDbContext Open()
    {
        var connectionString = Environment.GetEnvironmentVariable($"ConnectionStrings__{PersistenceServiceCollectionExtensions.ConnectionStringName}");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "ConnectionStrings__Platform is not set. scripts/up writes it to .local/stack.env; run `source .local/stack.env` first.");
        }

        var options = new DbContextOptionsBuilder<PlatformDbContext>()
            .UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("ef_migrations_history"))
            // The migrations are hand-written SQL with no EF model snapshot, so EF cannot compare them with the model;
            // SchemaMatchesModelTests does that comparison instead.
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
            .Options;
        return new PlatformDbContext(options);
    }
}
