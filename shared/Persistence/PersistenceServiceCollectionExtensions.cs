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
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">Where the connection string is read.</param>
    /// <param name="keepsNoSessionState">
    /// True for a service that never leaves session state on a connection (no session advisory locks, no SET): its
    /// pooled connections are then not reset on every return, which was several statements per request on the hot
    /// paths. An open transaction is still rolled back when a connection is returned.
    /// </param>
    public static IServiceCollection AddPlatformDatabase(this IServiceCollection services, IConfiguration configuration, bool keepsNoSessionState = false)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"Connection string '{ConnectionStringName}' is not set. Set ConnectionStrings__{ConnectionStringName} " +
                "(e.g. \"Host=localhost;Database=activelabel;Username=activelabel;Password=...\").");
        }

        services.AddSingleton(_ =>
        {
            var builder = new NpgsqlDataSourceBuilder(connectionString);
            if (keepsNoSessionState)
            {
                builder.ConnectionStringBuilder.NoResetOnClose = true;
            }

            return builder.Build();
        });
        services.AddDbContextPool<PlatformDbContext>((sp, options) =>
            options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>(), npgsql => npgsql.MigrationsHistoryTable("ef_migrations_history")));
        return services;
    }
}
