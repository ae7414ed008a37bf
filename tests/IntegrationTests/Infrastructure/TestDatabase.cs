using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Accounts;
using ActiveLabel.Persistence.Entities;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Infrastructure;

/// <summary>A uniquely named database on the real PostgreSQL server, dropped on dispose.</summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }
    public string ConnectionString { get; }

    /// <summary>Creates an empty database (no schema).</summary>
    public static async Task<TestDatabase> CreateEmptyAsync()
    {
        var name = "alp_test_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteOnServerAsync($"CREATE DATABASE {name}");
        var builder = TestEnvironment.PostgresBuilder();
        builder.Database = name;
        return new TestDatabase(name, builder.ConnectionString);
    }

    /// <summary>Creates a database and applies the migrations with the real <c>alp-admin migrate</c>.</summary>
    public static async Task<TestDatabase> CreateMigratedAsync()
    {
        var database = await CreateEmptyAsync();
        await database.RunAdminAsync("migrate");
        return database;
    }

    /// <summary>Runs alp-admin against this database and returns what it printed.</summary>
    public Task<string> RunAdminAsync(params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [TestEnvironment.AdminDll, .. arguments], new Dictionary<string, string> { ["ConnectionStrings__Platform"] = ConnectionString });

    /// <summary>Creates a user with a fresh token through alp-admin and returns the token.</summary>
    public async Task<string> CreateUserWithTokenAsync(string userId, string role)
    {
        await RunAdminAsync("users", "create", "--id", userId, "--role", role);
        return (await RunAdminAsync("tokens", "create", "--user", userId)).Trim();
    }

    /// <summary>
    /// Many annotators at once, written directly in the shape alp-admin writes (two alp-admin runs per user take over a
    /// second each); returns their tokens, in order.
    /// </summary>
    public async Task<string[]> CreateAnnotatorsWithTokensAsync(IReadOnlyList<string> userIds)
    {
        await using var db = CreateContext();
        var now = DateTimeOffset.UtcNow;
        var tokens = userIds.Select(_ => ApiTokenFormat.NewToken()).ToArray();
        for (var i = 0; i < userIds.Count; i++)
        {
            db.Users.Add(new User { Id = userIds[i], Role = UserRole.Annotator, CreatedAt = now });
            db.ApiTokens.Add(new ApiToken { Id = Guid.NewGuid(), UserId = userIds[i], Name = "test", TokenHash = ApiTokenFormat.Hash(tokens[i]), CreatedAt = now });
        }

        await db.SaveChangesAsync();
        return tokens;
    }

    public PlatformDbContext CreateContext() =>
        new(new DbContextOptionsBuilder<PlatformDbContext>().UseNpgsql(ConnectionString).Options);

    public async Task<NpgsqlConnection> OpenConnectionAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteOnServerAsync($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
    }

    private static async Task ExecuteOnServerAsync(string sql)
    {
        var builder = TestEnvironment.PostgresBuilder();
        builder.Database = "postgres";
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
