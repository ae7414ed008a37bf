using ActiveLabel.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ActiveLabel.IntegrationTests.Ingestion;

/// <summary>
/// A poison message (a SubmitItems for a project that does not exist yet) parked in the error queue with its reason,
/// shown by <c>alp-admin errors list</c> and, once the project exists, replayed by <c>alp-admin errors replay</c> into
/// the real Ingestion process, with nothing lost and nothing stored twice.
/// </summary>
[Collection(IngestionTests.Name)]
public sealed class ErrorQueueReplayTests(IngestionFixture stack, ITestOutputHelper output)
{
    private const string Queue = "ingestion-submit-items";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Should_park_a_SubmitItems_for_a_missing_project_with_its_reason_and_replay_it_once_the_project_exists()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        await using var probe = await AmqpProbe.ConnectAsync(stack.VirtualHost.Name);
        var errorsBefore = await stack.VirtualHost.QueueDepthAsync(Queue + "_error");
        var (early, later) = (Guid.NewGuid(), Guid.NewGuid());
        var (earlyMessage, laterMessage) = (Guid.NewGuid(), Guid.NewGuid());

        await probe.PublishAsync("SubmitItems", Command(early, "Ten tricks", "Budget passes"), earlyMessage);
        await probe.PublishAsync("SubmitItems", Command(later, "Council meets"), laterMessage);
        await Wait.UntilAsync(async () => await stack.VirtualHost.QueueDepthAsync(Queue + "_error") == errorsBefore + 2, Timeout, "both commands in the error queue");

        var listed = await AdminAsync("errors", "list", "--queue", Queue);
        output.WriteLine(listed);
        Assert.Contains($"{Queue}_error: {errorsBefore + 2} message(s)", listed, StringComparison.Ordinal);
        var line = listed.Split('\n').Single(l => l.Contains(earlyMessage.ToString(), StringComparison.Ordinal));
        Assert.Contains("SubmitItems", line, StringComparison.Ordinal);
        Assert.Matches(@"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", line); // When it was parked.
        Assert.Contains("InvalidSubmissionException", line, StringComparison.Ordinal);
        Assert.Contains($"is for project {early}, which does not exist", line, StringComparison.Ordinal);
        Assert.Equal(errorsBefore + 2, await stack.VirtualHost.QueueDepthAsync(Queue + "_error")); // Listing took nothing.

        // The cause is fixed for one of them: that one alone is replayed, and the consumer stores it.
        await TestData.InsertProjectAsync(connection, "created-late", early);
        Assert.Contains("Replayed 1 message(s)", await AdminAsync("errors", "replay", "--queue", Queue, "--message-id", earlyMessage.ToString()), StringComparison.Ordinal);
        await Wait.UntilAsync(async () => await IngestionFixture.CountItemsAsync(connection, early) == 2, Timeout, "the replayed command to be stored");
        await Wait.UntilAsync(async () => await stack.VirtualHost.QueueDepthAsync(Queue) == 0, Timeout, "the endpoint queue to drain");
        Assert.Equal(errorsBefore + 1, await stack.VirtualHost.QueueDepthAsync(Queue + "_error"));
        var remaining = await AdminAsync("errors", "list", "--queue", Queue);
        Assert.DoesNotContain(earlyMessage.ToString(), remaining, StringComparison.Ordinal);
        Assert.Contains(laterMessage.ToString(), remaining, StringComparison.Ordinal);

        // Everything replayed: the fixed one is stored; what still cannot succeed (other tests' poison) is parked again.
        await TestData.InsertProjectAsync(connection, "created-later", later);
        Assert.Contains($"Replayed {errorsBefore + 1} message(s)", await AdminAsync("errors", "replay", "--queue", Queue, "--all"), StringComparison.Ordinal);
        await Wait.UntilAsync(async () => await IngestionFixture.CountItemsAsync(connection, later) == 1, Timeout, "the second replayed command to be stored");
        await Wait.UntilAsync(
            async () => await stack.VirtualHost.QueueDepthAsync(Queue) == 0 && await stack.VirtualHost.QueueDepthAsync(Queue + "_error") == errorsBefore,
            Timeout, "the other parked messages to be parked again");
        Assert.Equal(2, await IngestionFixture.CountItemsAsync(connection, early));
        Assert.Equal(1, await UploadItemsTests.OutboxCountAsync(connection, early));
        Assert.Equal(1, await UploadItemsTests.OutboxCountAsync(connection, later));
        Assert.DoesNotContain(laterMessage.ToString(), await AdminAsync("errors", "list", "--queue", Queue), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_should_refuse_without_a_choice_of_messages_and_for_an_unknown_message()
    {
        var missingChoice = await ProcessRunner.RunAsync("dotnet", [TestEnvironment.AdminDll, "errors", "replay", "--queue", Queue], Environment(), check: false);
        var unknown = await ProcessRunner.RunAsync(
            "dotnet", [TestEnvironment.AdminDll, "errors", "replay", "--queue", Queue, "--message-id", Guid.NewGuid().ToString()], Environment(), check: false);

        Assert.DoesNotContain("Replayed", missingChoice, StringComparison.Ordinal);
        Assert.DoesNotContain("Replayed", unknown, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => AdminAsync("errors", "replay", "--queue", Queue, "--message-id", Guid.NewGuid().ToString()));
        await Assert.ThrowsAsync<InvalidOperationException>(() => AdminAsync("errors", "replay", "--queue", "no-such-endpoint", "--all"));
    }

    private static object Command(Guid project, params string[] texts) => new
    {
        projectId = project,
        batchId = Guid.NewGuid(),
        items = texts.Select(t => new { externalId = (string?)null, text = t, label = (string?)null, fields = (Dictionary<string, string?>?)null }).ToArray(),
        schemaVersion = 1,
        occurredAt = DateTimeOffset.UtcNow,
    };

    /// <summary>Runs alp-admin against the fixture's virtual host (the broker's credentials come from the test environment).</summary>
    private Task<string> AdminAsync(params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [TestEnvironment.AdminDll, .. arguments], Environment());

    private Dictionary<string, string> Environment() => new()
    {
        ["ConnectionStrings__Platform"] = stack.Database.ConnectionString,
        ["RabbitMq__VirtualHost"] = stack.VirtualHost.Name,
    };
}
