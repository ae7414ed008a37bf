using System.Net.Http.Headers;
using System.Text;
using ActiveLabel.IntegrationTests.Infrastructure;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Ingestion;

/// <summary>One database, virtual host and Ingestion process for the ingestion tests, with small limits so they can be hit.</summary>
public sealed class IngestionFixture : IAsyncLifetime
{
    public const int MaxBodyBytes = 256 * 1024;
    public const int MaxRowBytes = 4096;

    internal TestDatabase Database { get; private set; } = null!;
    internal TestVirtualHost VirtualHost { get; private set; } = null!;
    internal ServiceProcess Ingestion { get; private set; } = null!;
    internal string AdminToken { get; private set; } = null!;

    /// <summary>An ingest client that is made a member of the projects it uploads to.</summary>
    internal string FeederToken { get; private set; } = null!;

    /// <summary>An ingest client that is a member of no project.</summary>
    internal string StrangerToken { get; private set; } = null!;

    internal string AnnotatorToken { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateMigratedAsync();
        VirtualHost = await TestVirtualHost.CreateAsync();
        AdminToken = await Database.CreateUserWithTokenAsync("root", "admin");
        FeederToken = await Database.CreateUserWithTokenAsync("feeder", "ingest");
        StrangerToken = await Database.CreateUserWithTokenAsync("stranger", "ingest");
        AnnotatorToken = await Database.CreateUserWithTokenAsync("ann", "annotator");
        Ingestion = await ServiceProcess.StartAsync("Ingestion", Database.ConnectionString, VirtualHost.Name, environment: new Dictionary<string, string>
        {
            ["Ingestion__Upload__MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ingestion__Upload__MaxRowBytes"] = MaxRowBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    public async Task DisposeAsync()
    {
        await Ingestion.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }

    /// <summary>A text project (column "text", labels clickbait and legit) with the feeder as a member.</summary>
    internal static async Task<Guid> CreateTextProjectAsync(NpgsqlConnection connection)
    {
        var project = await TestData.InsertProjectAsync(connection, "text-" + Guid.NewGuid().ToString("N"));
        await TestData.AddMemberAsync(connection, project, "feeder");
        return project;
    }

    internal async Task<HttpResponseMessage> UploadAsync(Guid project, byte[] body, string contentType, string query = "", string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/api/projects/{project}/items{query}", UriKind.Relative))
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (token != "")
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? FeederToken);
        }

        return await Ingestion.Http.SendAsync(request);
    }

    internal Task<HttpResponseMessage> UploadAsync(Guid project, string body, string contentType, string query = "", string? token = null) =>
        UploadAsync(project, Encoding.UTF8.GetBytes(body), contentType, query, token);

    internal static async Task<long> CountItemsAsync(NpgsqlConnection connection, Guid project)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM items WHERE project_id = @p", connection);
        command.Parameters.AddWithValue("p", project);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

[CollectionDefinition(Name)]
public sealed class IngestionTests : ICollectionFixture<IngestionFixture>
{
    public const string Name = "Ingestion";
}
