using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ActiveLabel.IntegrationTests.Infrastructure;

namespace ActiveLabel.IntegrationTests.Labeling;

/// <summary>
/// Two Labeling replicas on one project, as the Kubernetes autoscaler runs them. Each keeps its own queue of candidates
/// read from the same session, so both try the same items first: the database must still hand every item to one
/// annotator only, and together they must serve the session in rank order.
/// </summary>
public sealed class LabelingReplicasTests : IAsyncLifetime
{
    private const int Annotators = 30;
    private TestDatabase database = null!;
    private TestVirtualHost virtualHost = null!;
    private ServiceProcess first = null!;
    private ServiceProcess second = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync();
        virtualHost = await TestVirtualHost.CreateAsync();
        first = await ServiceProcess.StartAsync("Labeling", database.ConnectionString, virtualHost.Name);
        second = await ServiceProcess.StartAsync("Labeling", database.ConnectionString, virtualHost.Name);
    }

    public async Task DisposeAsync()
    {
        await first.DisposeAsync();
        await second.DisposeAsync();
        await virtualHost.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task Annotators_on_two_replicas_should_get_distinct_items_in_rank_order_and_each_label_stored_once()
    {
        var (project, ranked, annotators) = await ArrangeAsync(items: 2 * Annotators);

        var firstRound = await Task.WhenAll(annotators.Select(a => NextAsync(a, project)));
        var labels = await Task.WhenAll(annotators.Zip(firstRound).Select(p => LabelAsync(p.First, project, p.Second)));
        var secondRound = await Task.WhenAll(annotators.Select(a => NextAsync(a, project)));

        // Together the replicas served the best 30, then the next 30, none twice.
        Assert.Equal(ranked.Take(Annotators).Order(), firstRound.Order());
        Assert.Equal(ranked.Skip(Annotators).Order(), secondRound.Order());
        Assert.All(labels, status => Assert.Equal(HttpStatusCode.Created, status));
        await using var connection = await database.OpenConnectionAsync();
        Assert.Equal(
            ["30 30"],
            await TestData.ReadColumnAsync(connection, "SELECT count(*) || ' ' || count(DISTINCT item_id) FROM labels"));
    }

    private async Task<(Guid Project, long[] Ranked, List<(HttpClient Http, string Token)> Annotators)> ArrangeAsync(int items)
    {
        await using var connection = await database.OpenConnectionAsync();
        var project = await TestData.InsertProjectAsync(connection, "replicas");
        var ids = new long[items];
        for (var i = 0; i < items; i++)
        {
            ids[i] = await TestData.InsertItemAsync(connection, project, $"item-{i}", System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));
        }

        // A ranking unlike the insertion order, so rank order is what is checked.
        var ranked = ids.OrderBy(id => (id * 7919) % 101).ThenBy(id => id).ToArray();
        await TestData.InsertSessionAsync(connection, project, 1, ranked);
        var names = Enumerable.Range(0, Annotators).Select(i => $"annotator-{i}").ToArray();
        var tokens = await database.CreateAnnotatorsWithTokensAsync(names);
        var annotators = new List<(HttpClient, string)>();
        for (var i = 0; i < Annotators; i++)
        {
            await TestData.AddMemberAsync(connection, project, names[i]);
            annotators.Add((i % 2 == 0 ? first.Http : second.Http, tokens[i]));
        }

        return (project, ranked, annotators);
    }

    private static async Task<long> NextAsync((HttpClient Http, string Token) annotator, Guid project)
    {
        using var response = await SendAsync(annotator, $"/api/projects/{project}/next", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("itemId").GetInt64();
    }

    private static async Task<HttpStatusCode> LabelAsync((HttpClient Http, string Token) annotator, Guid project, long item)
    {
        using var response = await SendAsync(annotator, $"/api/projects/{project}/items/{item}/labels", new { requestId = Guid.NewGuid(), label = "legit" });
        return response.StatusCode;
    }

    private static async Task<HttpResponseMessage> SendAsync((HttpClient Http, string Token) annotator, string path, object? body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", annotator.Token);
        return await annotator.Http.SendAsync(request);
    }
}
