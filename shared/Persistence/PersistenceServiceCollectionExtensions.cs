using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ActiveLabel.Persistence;

/// <summary>Registers the platform database for a service.</summary>
public static class PersistenceServiceCollectionExtensions
{
    /// <summary>Name of the connection string (<c>ConnectionStrings__Platform</c> in the environment).</summary>
    public const string ConnectionStringName = "Platform";

    /// <summary>
    /// Registers one <see cref="NpgsqlDataSource"/> (for COPY and hand-written SQL) and a pooled
    /// <see cref="PlatformDbContext"/> on top of it. Fails at start-up if the connection string is missing.
    /// </summary>
    public static IServiceCollection AddPlatformDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"Connection string '{ConnectionStringName}' is not set. Set ConnectionStrings__{ConnectionStringName} " +
                "(e.g. \"Host=localhost;Database=activelabel;Username=activelabel;Password=...\").");
        }

        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString).Build());
        services.AddDbContextPool<PlatformDbContext>((sp, options) =>
            options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>(), npgsql => npgsql.MigrationsHistoryTable("ef_migrations_history")));
        return services;
    }
}
