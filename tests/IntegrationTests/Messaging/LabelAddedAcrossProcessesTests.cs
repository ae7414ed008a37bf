using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ActiveLabel.IntegrationTests.Infrastructure;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Messaging;

/// <summary>
/// Labeling and Trainer as separate OS processes on the real broker and database: a label submitted over HTTP
/// reaches the Trainer as <c>LabelAdded</c> and makes a model, once.
/// </summary>
public sealed class LabelAddedAcrossProcessesTests(LabelingAndTrainerFixture stack) : IClassFixture<LabelingAndTrainerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TestDatabase _database = stack.Database;
    private readonly TestVirtualHost _virtualHost = stack.VirtualHost;
    private readonly ServiceProcess _labeling = stack.Labeling;

    [Fact]
    public async Task Labels_submitted_to_Labeling_should_reach_the_Trainer_process_and_train_a_model_once()
    {
        await using var connection = await _database.OpenConnectionAsync();
        var project = await TestData.InsertProjectAsync(connection, "clickbait");
        await TestData.AddMemberAsync(connection, project, "ann1");
        var first = await TestData.InsertItemAsync(connection, project, "headline-1", System.Security.Cryptography.SHA256.HashData("You won't believe this"u8));
        var second = await TestData.InsertItemAsync(connection, project, "headline-2", System.Security.Cryptography.SHA256.HashData("Budget passes"u8));
        var body = new { requestId = Guid.NewGuid(), label = "clickbait", timeSpentMs = 1500 };

        var created = await PostLabelAsync(project, first, body);
        var retry = await PostLabelAsync(project, first, body);
        var other = await PostLabelAsync(project, second, new { requestId = Guid.NewGuid(), label = "legit" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        var labelId = (await created.Content.ReadFromJsonAsync<LabelBody>())!.Id;
        Assert.Equal(labelId, (await retry.Content.ReadFromJsonAsync<LabelBody>())!.Id);

        // The Trainer's sweep is off in this fixture: only the LabelAdded events can have asked for this model.
        await Wait.UntilAsync(async () => await ModelsAsync(connection, project) == 1, Timeout, "the Trainer to train on the two labels");
        await Wait.UntilAsync(async () => await _virtualHost.QueueDepthAsync("trainer-label-added") == 0, Timeout, "the Trainer's queue to drain");
        Assert.Equal(1, await ModelsAsync(connection, project));
        await using var outbox = new NpgsqlCommand("SELECT count(*) FILTER (WHERE dispatched_at IS NOT NULL), count(*) FROM outbox_messages WHERE message_type = 'ActiveLabel.Contracts.LabelAdded'", connection);
        await using var reader = await outbox.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal((2L, 2L), (reader.GetInt64(0), reader.GetInt64(1)));
    }

    [Fact]
    public async Task Should_refuse_a_label_without_a_token_or_from_a_non_member()
    {
        await using var connection = await _database.OpenConnectionAsync();
        var project = await TestData.InsertProjectAsync(connection, "private");
        var item = await TestData.InsertItemAsync(connection, project, "x", new byte[32]);
        var body = new { requestId = Guid.NewGuid(), label = "legit" };

        using var anonymous = await _labeling.Http.PostAsJsonAsync(new Uri($"/api/projects/{project}/items/{item}/labels", UriKind.Relative), body);
        using var nonMember = await PostLabelAsync(project, item, body);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, nonMember.StatusCode);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM labels WHERE project_id = @p", connection);
        count.Parameters.AddWithValue("p", project);
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }

    private async Task<HttpResponseMessage> PostLabelAsync(Guid project, long item, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/api/projects/{project}/items/{item}/labels", UriKind.Relative))
        {
            Content = JsonContent.Create(body),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", stack.AnnotatorToken);
        return await _labeling.Http.SendAsync(request);
    }

    private static async Task<long> ModelsAsync(NpgsqlConnection connection, Guid project)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM model_versions WHERE project_id = @p AND labels_seen = 2", connection);
        command.Parameters.AddWithValue("p", project);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private sealed record LabelBody(long Id);
}

/// <summary>One database, virtual host, Labeling and Trainer process for the tests of this class.</summary>
public sealed class LabelingAndTrainerFixture : IAsyncLifetime
{
    internal TestDatabase Database { get; private set; } = null!;
    internal TestVirtualHost VirtualHost { get; private set; } = null!;
    internal ServiceProcess Labeling { get; private set; } = null!;
    internal ServiceProcess Trainer { get; private set; } = null!;
    internal string AnnotatorToken { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateMigratedAsync();
        VirtualHost = await TestVirtualHost.CreateAsync();
        AnnotatorToken = await Database.CreateUserWithTokenAsync("ann1", "annotator");
        var labeling = ServiceProcess.StartAsync("Labeling", Database.ConnectionString, VirtualHost.Name);
        var trainer = ServiceProcess.StartAsync("Trainer", Database.ConnectionString, VirtualHost.Name, environment: new Dictionary<string, string>
        {
            ["Trainer__SweepSeconds"] = "3600",
            ["Trainer__IdleFlushSeconds"] = "0",
        });
        (Labeling, Trainer) = (await labeling, await trainer);
    }

    public async Task DisposeAsync()
    {
        await Labeling.DisposeAsync();
        await Trainer.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }
}
