using ActiveLabel.IntegrationTests.Infrastructure;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Ingestion;

/// <summary>SubmitItems published on the real broker by an external system, consumed by the real Ingestion process.</summary>
[Collection(IngestionTests.Name)]
public sealed class SubmitItemsTests(IngestionFixture stack)
{
    private const string Queue = "ingestion-submit-items";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Should_store_valid_items_count_rejected_ones_and_ignore_a_redelivered_batch()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);
        await using var probe = await AmqpProbe.ConnectAsync(stack.VirtualHost.Name);
        var errorsBefore = await stack.VirtualHost.QueueDepthAsync(Queue + "_error");
        var command = Command(project, Guid.NewGuid(), 1,
            new { externalId = "ext-1", text = "Ten tricks", label = "clickbait", fields = new Dictionary<string, string?> { ["source"] = "rss" } },
            new { externalId = (string?)null, text = "Budget passes", label = (string?)null, fields = (Dictionary<string, string?>?)null },
            new { externalId = (string?)null, text = "Ten tricks", label = (string?)null, fields = (Dictionary<string, string?>?)null },
            new { externalId = (string?)null, text = "Wrong label", label = "spam", fields = (Dictionary<string, string?>?)null });

        var messageId = Guid.NewGuid();

        await probe.PublishAsync("SubmitItems", command, messageId);
        await Wait.UntilAsync(async () => await UploadItemsTests.OutboxCountAsync(connection, project) == 1, Timeout, "ItemsIngested in the outbox");
        await probe.PublishAsync("SubmitItems", command, messageId); // Redelivered: the same message.
        await probe.PublishAsync("SubmitItems", command); // Sent again by its producer: a new message, the same batch.
        await Wait.UntilAsync(async () => await stack.VirtualHost.QueueDepthAsync(Queue) == 0 && await InboxCountAsync(connection) >= 1, Timeout, "the redelivery to be consumed");
        await Wait.UntilAsync(async () => await OutboxDispatchedAsync(connection, project), Timeout, "the relay to publish ItemsIngested");

        var rows = await UploadItemsTests.ItemsAsync(connection, project);
        Assert.Equal(2, rows.Count);
        Assert.Equal("""{"text": "Ten tricks", "source": "rss"}""", rows.Single(r => r.ExternalId == "ext-1").Payload);
        Assert.Equal("clickbait", rows.Single(r => r.ExternalId == "ext-1").SeedLabel);
        Assert.Equal(1, await UploadItemsTests.OutboxCountAsync(connection, project));
        Assert.Equal((4, 2, 1, 1, 1), await IngestedCountsAsync(connection, project));
        Assert.Equal(errorsBefore, await stack.VirtualHost.QueueDepthAsync(Queue + "_error"));
    }

    [Fact]
    public async Task Should_park_an_unknown_schema_version_or_project_in_the_error_queue_without_storing()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);
        await using var probe = await AmqpProbe.ConnectAsync(stack.VirtualHost.Name);
        var errorsBefore = await stack.VirtualHost.QueueDepthAsync(Queue + "_error");
        var item = new { externalId = (string?)null, text = "Fine item", label = (string?)null, fields = (Dictionary<string, string?>?)null };

        await probe.PublishAsync("SubmitItems", Command(project, Guid.NewGuid(), 99, item));
        await probe.PublishAsync("SubmitItems", Command(Guid.NewGuid(), Guid.NewGuid(), 1, item));

        await Wait.UntilAsync(async () => await stack.VirtualHost.QueueDepthAsync(Queue + "_error") == errorsBefore + 2, Timeout, "both commands in the error queue");
        Assert.Equal(0, await IngestionFixture.CountItemsAsync(connection, project));
        Assert.Equal(0, await UploadItemsTests.OutboxCountAsync(connection, project));
    }

    private static object Command(Guid project, Guid batch, int schemaVersion, params object[] items) =>
        new { projectId = project, batchId = batch, items, schemaVersion, occurredAt = DateTimeOffset.UtcNow };

    private static async Task<long> InboxCountAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM inbox_messages WHERE consumer = 'ingestion.submit-items'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<bool> OutboxDispatchedAsync(NpgsqlConnection connection, Guid project)
    {
        await using var command = new NpgsqlCommand("SELECT bool_and(dispatched_at IS NOT NULL) FROM outbox_messages WHERE body->>'projectId' = @p", connection);
        command.Parameters.AddWithValue("p", project.ToString());
        return await command.ExecuteScalarAsync() is true;
    }

    private static async Task<(int, int, int, int, int)> IngestedCountsAsync(NpgsqlConnection connection, Guid project)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT (body->>'received')::int, (body->>'inserted')::int, (body->>'duplicates')::int, (body->>'rejected')::int, (body->>'seedLabels')::int
            FROM outbox_messages WHERE body->>'projectId' = @p AND message_type = 'ActiveLabel.Contracts.ItemsIngested'
            """, connection);
        command.Parameters.AddWithValue("p", project.ToString());
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4));
    }
}
