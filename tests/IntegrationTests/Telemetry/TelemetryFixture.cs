using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ActiveLabel.IntegrationTests.Infrastructure;

namespace ActiveLabel.IntegrationTests.Telemetry;

/// <summary>
/// The four services exporting traces and metrics over OTLP http/protobuf to an <see cref="OtlpReceiver"/> in the test
/// process, on a fresh database and virtual host. A text project gets seed labels (model v1 and its session follow),
/// then <see cref="RetrainEvery"/> labels go through the HTTP API, the last of which triggers model v2 and its session.
/// </summary>
public sealed class TelemetryFixture : IAsyncLifetime
{
    public const int RetrainEvery = 5;
    private const int Items = 120;
    private const int SeedLabels = 30;
    private static readonly string[] Services = ["Ingestion", "Labeling", "Trainer", "QuerySampler"];
    private readonly List<ServiceProcess> _services = [];

    // Longer than ServiceProcess.Http's 10 s: the first requests JIT and warm up on a machine shared with other builds.
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    internal OtlpReceiver Receiver { get; private set; } = null!;
    internal TestDatabase Database { get; private set; } = null!;
    internal TestVirtualHost VirtualHost { get; private set; } = null!;
    internal Guid ProjectId { get; private set; }
    internal string AdminToken { get; private set; } = null!;

    /// <summary>The items labeled through the API, in order; the last one's label made the project due for v2.</summary>
    internal List<long> LabeledItems { get; } = [];

    public async Task InitializeAsync()
    {
        Receiver = await OtlpReceiver.StartAsync();
        Database = await TestDatabase.CreateMigratedAsync();
        VirtualHost = await TestVirtualHost.CreateAsync();
        AdminToken = await Database.CreateUserWithTokenAsync("lead", "admin");
        var grpc = new Uri($"http://127.0.0.1:{ServiceProcess.FreePort()}");
        var environment = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Receiver.Endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            // Export often, so the test waits seconds rather than the defaults' 5 s (spans) and 60 s (metrics).
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
            ["Telemetry__QueueDepthSeconds"] = "0.5",
            // Only the labels trigger trainings: no idle flush and no sweep during the test, so the training of v2
            // belongs to a label's trace.
            ["Trainer__IdleFlushSeconds"] = "0",
            ["Trainer__SweepSeconds"] = "3600",
            ["Scorer__Address"] = grpc.ToString(),
            // The first guess loads the model; on a machine shared with other builds that can take longer than 2 s.
            ["Scorer__Deadline"] = "00:00:30",
        };
        _services.AddRange(await Task.WhenAll(Services.Select(s => ServiceProcess.StartAsync(
            s, Database.ConnectionString, VirtualHost.Name,
            environment: s == "QuerySampler" ? new Dictionary<string, string>(environment) { ["Kestrel__Endpoints__Grpc__Url"] = grpc.ToString() } : environment))));

        try
        {
            ProjectId = await CreateProjectAsync();
            await UploadItemsAsync();
            await Wait.UntilAsync(async () => await ScalarAsync("SELECT count(*) FROM query_sessions WHERE project_id = @p") == 1, TimeSpan.FromSeconds(90), "model v1 and its query session");

            for (var i = 0; i < RetrainEvery; i++)
            {
                LabeledItems.Add(await LabelNextAsync());
            }

            await Wait.UntilAsync(async () => await ScalarAsync("SELECT count(*) FROM query_sessions WHERE project_id = @p AND model_version = 2") == 1, TimeSpan.FromSeconds(90), "model v2 and its query session");
        }
        catch (Exception ex) when (ex is TimeoutException or HttpRequestException or TaskCanceledException)
        {
            throw new InvalidOperationException(ex.Message + "\n" + string.Join("\n", _services.Select(s => $"--- {s.Service}:\n{s.RecentOutput()}")), ex);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }

        await Receiver.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }

    internal ServiceProcess Service(string name) => _services.Single(s => s.Service == name);

    internal async Task<long> ScalarAsync(string sql)
    {
        await using var connection = await Database.OpenConnectionAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("p", ProjectId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    internal async Task<HttpResponseMessage> SendAsync(string service, HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(Service(service).BaseAddress, path)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return await Http.SendAsync(request);
    }

    private async Task<Guid> CreateProjectAsync()
    {
        var body = new
        {
            name = "telemetry",
            taskType = "text",
            labels = new[] { new { name = "clickbait", key = "c" }, new { name = "news", key = "n" } },
            retrainEvery = RetrainEvery,
            queryBatchSize = 50,
        };
        using var response = await SendAsync("Ingestion", HttpMethod.Post, "/api/projects", JsonContent.Create(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private async Task UploadItemsAsync()
    {
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < Items; i++)
        {
            var (text, label) = Headline(i);
            csv.Append(CultureInfo.InvariantCulture, $"{text},{(i < SeedLabels ? label : "")}\n");
        }

        using var content = new StringContent(csv.ToString(), Encoding.UTF8, "text/csv");
        using var response = await SendAsync("Ingestion", HttpMethod.Post, $"/api/projects/{ProjectId}/items?labelColumn=label", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Leases the next item and labels it as an oracle would; returns the item's id.</summary>
    private async Task<long> LabelNextAsync()
    {
        using var next = await SendAsync("Labeling", HttpMethod.Post, $"/api/projects/{ProjectId}/next");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        var item = await next.Content.ReadFromJsonAsync<JsonElement>();
        var text = item.GetProperty("payload").GetProperty("text").GetString()!;
        var body = new { requestId = Guid.NewGuid(), label = text.StartsWith("You won't believe", StringComparison.Ordinal) ? "clickbait" : "news" };
        var itemId = item.GetProperty("itemId").GetInt64();
        using var label = await SendAsync("Labeling", HttpMethod.Post, $"/api/projects/{ProjectId}/items/{itemId}/labels", JsonContent.Create(body));
        Assert.Equal(HttpStatusCode.Created, label.StatusCode);
        return itemId;
    }

    private static (string Text, string Label) Headline(int i) => (i % 2) switch
    {
        0 => ($"You won't believe what happened to star number {i} next", "clickbait"),
        _ => ($"Council approves budget line {i} for road repairs", "news"),
    };
}
