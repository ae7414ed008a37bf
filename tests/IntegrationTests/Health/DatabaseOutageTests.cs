using System.Net;
using System.Net.Http.Headers;
using ActiveLabel.IntegrationTests.Infrastructure;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Health;

/// <summary>
/// A request that meets an unreachable database is answered 503 with Retry-After (try again), not 500 (a bug). Found
/// by scripts/fault-test: during a PostgreSQL restart Labeling answered 500 with an empty body.
/// </summary>
public sealed class DatabaseOutageTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);
    private TestDatabase _database = null!;
    private TestVirtualHost _virtualHost = null!;
    private TcpProxy _postgres = null!;
    private ServiceProcess _labeling = null!;
    private string _token = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateMigratedAsync();
        _virtualHost = await TestVirtualHost.CreateAsync();
        _token = await _database.CreateUserWithTokenAsync("ann1", "annotator");
        var server = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        _postgres = new TcpProxy(server.Host!, server.Port);
        server.Host = "127.0.0.1";
        server.Port = _postgres.Port;
        _labeling = await ServiceProcess.StartAsync("Labeling", server.ConnectionString, _virtualHost.Name);
    }

    public async Task DisposeAsync()
    {
        await _labeling.DisposeAsync();
        await _virtualHost.DisposeAsync();
        await _database.DisposeAsync();
    }

    public void Dispose() => _postgres.Dispose();

    [Fact]
    public async Task Should_answer_503_with_Retry_After_while_PostgreSQL_is_unreachable_and_serve_again_after()
    {
        await using var connection = await _database.OpenConnectionAsync();
        var project = await TestData.InsertProjectAsync(connection, "outage");
        await TestData.AddMemberAsync(connection, project, "ann1");
        await TestData.InsertItemAsync(connection, project, "a", new byte[32]);

        _postgres.Cut();
        using var during = await NextAsync(project);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), during.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", during.Content.Headers.ContentType?.MediaType);
        Assert.Contains("database is unavailable", await during.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        _postgres.Restore();
        await Wait.UntilAsync(async () =>
        {
            using var after = await NextAsync(project);
            return after.StatusCode == HttpStatusCode.OK;
        }, Timeout, "the next item once PostgreSQL is back");
    }

    private async Task<HttpResponseMessage> NextAsync(Guid project)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/api/projects/{project}/next", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return await _labeling.Http.SendAsync(request);
    }
}
