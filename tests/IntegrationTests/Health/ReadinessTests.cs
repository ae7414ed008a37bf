using System.Net;
using ActiveLabel.IntegrationTests.Infrastructure;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Health;

/// <summary>
/// All four services run as separate processes whose PostgreSQL and RabbitMQ connections pass through TCP relays;
/// cutting a relay makes that server unreachable exactly as a network or server failure would.
/// </summary>
public sealed class ReadinessTests : IAsyncLifetime, IDisposable
{
    private static readonly string[] Services = ["Ingestion", "Labeling", "Trainer", "QuerySampler"];
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);
    private TestDatabase _database = null!;
    private TestVirtualHost _virtualHost = null!;
    private TcpProxy _postgres = null!;
    private TcpProxy _rabbit = null!;
    private ServiceProcess[] _services = [];

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateMigratedAsync();
        _virtualHost = await TestVirtualHost.CreateAsync();
        var server = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        _postgres = new TcpProxy(server.Host!, server.Port);
        _rabbit = new TcpProxy(TestEnvironment.RabbitHost, TestEnvironment.RabbitPort);
        server.Host = "127.0.0.1";
        server.Port = _postgres.Port;
        _services = await Task.WhenAll(Services.Select(s => ServiceProcess.StartAsync(s, server.ConnectionString, _virtualHost.Name, _rabbit.Port)));
    }

    public async Task DisposeAsync()
    {
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }

        await _virtualHost.DisposeAsync();
        await _database.DisposeAsync();
    }

    public void Dispose()
    {
        _postgres.Dispose();
        _rabbit.Dispose();
    }

    [Fact]
    public async Task Every_service_should_be_unready_while_PostgreSQL_is_unreachable_and_ready_again_after()
    {
        _postgres.Cut();
        await WaitForAllAsync(HttpStatusCode.ServiceUnavailable, "unready with PostgreSQL cut off");
        await AssertAllLiveAsync();

        _postgres.Restore();
        await WaitForAllAsync(HttpStatusCode.OK, "ready again with PostgreSQL back");
    }

    [Fact]
    public async Task Every_service_should_be_unready_while_RabbitMQ_is_unreachable_and_ready_again_after()
    {
        _rabbit.Cut();
        await WaitForAllAsync(HttpStatusCode.ServiceUnavailable, "unready with RabbitMQ cut off");
        await AssertAllLiveAsync();

        _rabbit.Restore();
        await WaitForAllAsync(HttpStatusCode.OK, "ready again with RabbitMQ back");
    }

    private Task WaitForAllAsync(HttpStatusCode status, string what) =>
        Task.WhenAll(_services.Select(service =>
            Wait.UntilAsync(async () => await service.ReadinessAsync() == status, Timeout, $"{service.Service} to be {what}")));

    private async Task AssertAllLiveAsync()
    {
        foreach (var service in _services)
        {
            using var live = await service.Http.GetAsync(new Uri("/health/live", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
    }
}
