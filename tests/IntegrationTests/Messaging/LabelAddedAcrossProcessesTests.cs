using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ActiveLabel.IntegrationTests.Infrastructure;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Messaging;

/// <summary>
/// Labeling and Trainer as separate OS processes on the real broker and database: a label submitted over HTTP
/// reaches the Trainer as <c>LabelAdded</c>, once.
/// </summary>
public sealed class LabelAddedAcrossProcessesTests(LabelingAndTrainerFixture stack) : IClassFixture<LabelingAndTrainerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TestDatabase _database = stack.Database;
    private readonly TestVirtualHost _virtualHost = stack.VirtualHost;
    private readonly ServiceProcess _labeling = stack.Labeling;

    [Fact]
    public async Task Label_submitted_to_Labeling_should_be_consumed_once_by_the_Trainer_process()
    {
        await using var connection = await _database.OpenConnectionAsync();
        var project = await TestData.InsertProjectAsync(connection, "clickbait");
        await TestData.AddMemberAsync(connection, project, "ann1");
        var item = await TestData.InsertItemAsync(connection, project, "headline-1", System.Security.Cryptography.SHA256.HashData("You won't believe this"u8));
        var body = new { requestId = Guid.NewGuid(), label = "clickbait", timeSpentMs = 1500 };

        var first = await PostLabelAsync(project, item, body);
        var retry = await PostLabelAsync(project, item, body);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var labelId = (await first.Content.ReadFromJsonAsync<LabelBody>())!.Id;
        Assert.Equal(labelId, (await retry.Content.ReadFromJsonAsync<LabelBody>())!.Id);

        // What the Trainer process wrote when it consumed the event.
        await Wait.UntilAsync(async () => await ObservedAsync(connection, project) is { } observed && observed.LastLabelId == labelId, Timeout, "the Trainer to record the label");
        await Wait.UntilAsync(async () => await _virtualHost.QueueDepthAsync("trainer-label-added") == 0, Timeout, "the Trainer's queue to drain");
        Assert.Equal((1L, labelId), await ObservedAsync(connection, project));
        await using var outbox = new NpgsqlCommand("SELECT count(*) FILTER (WHERE dispatched_at IS NOT NULL), count(*) FROM outbox_messages", connection);
        await using var reader = await outbox.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal((1L, 1L), (reader.GetInt64(0), reader.GetInt64(1)));
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

    private static async Task<(long Observed, long LastLabelId)?> ObservedAsync(NpgsqlConnection connection, Guid project)
    {
        await using var command = new NpgsqlCommand("SELECT labels_observed, last_observed_label_id FROM training_state WHERE project_id = @p", connection);
        command.Parameters.AddWithValue("p", project);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetInt64(1)) : null;
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
        var trainer = ServiceProcess.StartAsync("Trainer", Database.ConnectionString, VirtualHost.Name);
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
