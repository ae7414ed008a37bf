using ActiveLabel.IntegrationTests.Infrastructure;

namespace ActiveLabel.IntegrationTests.Health;

public sealed class ShutdownTests(ShutdownTests.Servers servers) : IClassFixture<ShutdownTests.Servers>
{
    public static TheoryData<string> Services => ["Ingestion", "Labeling", "Trainer", "QuerySampler"];

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Should_stop_cleanly_on_SIGTERM(string service)
    {
        await using var process = await ServiceProcess.StartAsync(service, servers.Database.ConnectionString, servers.VirtualHost.Name);

        var exitCode = await process.TerminateAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, exitCode);
        Assert.Contains("Application is shutting down", process.RecentOutput(), StringComparison.Ordinal);
        Assert.Contains("Bus stopped", process.RecentOutput(), StringComparison.Ordinal);
    }

    /// <summary>One database and virtual host for the four services' runs.</summary>
    public sealed class Servers : IAsyncLifetime
    {
        internal TestDatabase Database { get; private set; } = null!;
        internal TestVirtualHost VirtualHost { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Database = await TestDatabase.CreateMigratedAsync();
            VirtualHost = await TestVirtualHost.CreateAsync();
        }

        public async Task DisposeAsync()
        {
            await VirtualHost.DisposeAsync();
            await Database.DisposeAsync();
        }
    }
}
