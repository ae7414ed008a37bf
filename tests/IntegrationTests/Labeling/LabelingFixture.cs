using System.Net.Http.Headers;
using System.Net.Http.Json;
using ActiveLabel.IntegrationTests.Infrastructure;

namespace ActiveLabel.IntegrationTests.Labeling;

/// <summary>The Labeling service as a process on its own database and virtual host, with two annotators.</summary>
public sealed class LabelingFixture : IAsyncLifetime
{
    internal TestDatabase Database { get; private set; } = null!;
    internal TestVirtualHost VirtualHost { get; private set; } = null!;
    internal ServiceProcess Labeling { get; private set; } = null!;
    internal string Alice { get; private set; } = null!;
    internal string Bob { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateMigratedAsync();
        VirtualHost = await TestVirtualHost.CreateAsync();
        Alice = await Database.CreateUserWithTokenAsync("alice", "annotator");
        Bob = await Database.CreateUserWithTokenAsync("bob", "annotator");
        Labeling = await ServiceProcess.StartAsync("Labeling", Database.ConnectionString, VirtualHost.Name);
    }

    public async Task DisposeAsync()
    {
        await Labeling.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }

    /// <summary>A project both annotators are members of, with <paramref name="items"/> unlabeled items.</summary>
    internal async Task<(Guid Project, long[] Items)> ArrangeProjectAsync(int items)
    {
        await using var connection = await Database.OpenConnectionAsync();
        var project = await TestData.InsertProjectAsync(connection, "p-" + Guid.NewGuid().ToString("N")[..8]);
        await TestData.AddMemberAsync(connection, project, "alice");
        await TestData.AddMemberAsync(connection, project, "bob");
        var ids = new long[items];
        for (var i = 0; i < items; i++)
        {
            ids[i] = await TestData.InsertItemAsync(connection, project, $"item-{i}", System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));
        }

        return (project, ids);
    }

    internal async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Labeling.Http.SendAsync(request);
    }

    internal async Task<long?> NextAsync(Guid project, string token)
    {
        using var response = await SendAsync(HttpMethod.Post, $"/api/projects/{project}/next", token);
        response.EnsureSuccessStatusCode();
        return response.StatusCode == System.Net.HttpStatusCode.NoContent
            ? null
            : (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("itemId").GetInt64();
    }
}
