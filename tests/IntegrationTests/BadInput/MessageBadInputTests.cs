using System.Text;
using System.Text.Json;
using ActiveLabel.IntegrationTests.Infrastructure;
using ActiveLabel.IntegrationTests.Ingestion;
using Npgsql;
using RabbitMQ.Client;

namespace ActiveLabel.IntegrationTests.BadInput;

/// <summary>
/// Bad <c>SubmitItems</c> commands published on the real broker to the real Ingestion consumer: each is parked in
/// <c>ingestion-submit-items_error</c> with the reason in its <c>MT-Fault-Message</c> header, stores nothing, and
/// leaves the consumer alive: the next good command is stored.
/// </summary>
[Collection(IngestionTests.Name)]
public sealed class MessageBadInputTests(IngestionFixture stack) : IAsyncLifetime
{
    private const string ErrorQueue = "ingestion-submit-items_error";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private NpgsqlConnection _connection = null!;
    private IConnection _amqp = null!;
    private IChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _connection = await stack.Database.OpenConnectionAsync();
        _amqp = await new ConnectionFactory
        {
            HostName = TestEnvironment.RabbitHost,
            Port = TestEnvironment.RabbitPort,
            VirtualHost = stack.VirtualHost.Name,
            UserName = TestEnvironment.RabbitUser,
            Password = TestEnvironment.RabbitPassword,
        }.CreateConnectionAsync();
        _channel = await _amqp.CreateChannelAsync();
    }

    public async Task DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _amqp.DisposeAsync();
        await _connection.DisposeAsync();
    }

    [Theory]
    [InlineData(99)]
    [InlineData(0)]
    public async Task Unknown_schema_version_should_be_parked_with_the_versions_understood(int version)
    {
        var project = await IngestionFixture.CreateTextProjectAsync(_connection);
        var batch = Guid.NewGuid();

        var reason = await ParkedReasonAsync(Envelope(Command(project, batch, version, Item("wrong version"))), batch);

        Assert.Equal($"SubmitItems schema version {version} is not supported; this service understands 1 to 1.", reason);
    }

    [Fact]
    public async Task Command_for_an_unknown_project_should_be_parked_naming_it()
    {
        var unknown = Guid.NewGuid();
        var batch = Guid.NewGuid();

        var reason = await ParkedReasonAsync(Envelope(Command(unknown, batch, 1, Item("no such project"))), batch);

        Assert.Equal($"SubmitItems {batch} is for project {unknown}, which does not exist.", reason);
    }

    [Fact]
    public async Task Command_without_items_should_be_parked_with_the_allowed_count()
    {
        var project = await IngestionFixture.CreateTextProjectAsync(_connection);
        var batch = Guid.NewGuid();

        var reason = await ParkedReasonAsync(Envelope(Command(project, batch, 1)), batch);

        Assert.Equal($"SubmitItems {batch} holds 0 items; send 1 to 10,000 per command.", reason);
    }

    [Fact]
    public async Task Command_with_items_of_the_wrong_JSON_shape_should_be_parked_naming_the_field()
    {
        var project = await IngestionFixture.CreateTextProjectAsync(_connection);
        var batch = Guid.NewGuid();
        var command = new { projectId = project, batchId = batch, items = "one item as a string", schemaVersion = 1, occurredAt = DateTimeOffset.UtcNow };

        var reason = await ParkedReasonAsync(Envelope(command), batch);

        Assert.StartsWith("The JSON value could not be converted to System.Collections.Generic.IReadOnlyList`1[ActiveLabel.Contracts.SubmittedItem]. Path: $.items", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Body_that_is_not_JSON_should_be_parked_and_the_consumer_go_on()
    {
        var marker = Guid.NewGuid();

        var reason = await ParkedReasonAsync(Encoding.UTF8.GetBytes($"{{\"messageId\": \"{marker}\", \"message\": {{ cut off"), marker);

        Assert.StartsWith("'c' is an invalid start of a property name.", reason, StringComparison.Ordinal);
    }

    /// <summary>
    /// Publishes <paramref name="body"/>, waits until the message carrying <paramref name="marker"/> is parked, checks
    /// that no table changed and that a good command is stored afterwards, and returns the parked message's reason.
    /// </summary>
    private async Task<string> ParkedReasonAsync(byte[] body, Guid marker)
    {
        var before = await DataSnapshot.TakeAsync(_connection);

        await PublishAsync(body);

        string? reason = null;
        // Asking for a queue that does not exist yet would close the channel, so wait until something is parked.
        await Wait.UntilAsync(
            async () => await stack.VirtualHost.QueueDepthAsync(ErrorQueue) > 0 && (reason = await TakeParkedAsync(marker)) is not null, Timeout, "the command in " + ErrorQueue);
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
        await AssertConsumerAliveAsync();
        return reason!;
    }

    /// <summary>The consumer still takes commands: a good one after the bad one is stored.</summary>
    private async Task AssertConsumerAliveAsync()
    {
        var project = await IngestionFixture.CreateTextProjectAsync(_connection);
        await PublishAsync(Envelope(Command(project, Guid.NewGuid(), 1, Item("a good item after a bad command"))));
        await Wait.UntilAsync(async () => await IngestionFixture.CountItemsAsync(_connection, project) == 1, Timeout, "the next good command to be stored");
    }

    /// <summary>Removes the parked message holding <paramref name="marker"/> and returns its MT-Fault-Message; leaves the others.</summary>
    private async Task<string?> TakeParkedAsync(Guid marker)
    {
        var text = marker.ToString();
        var others = new List<ulong>();
        string? reason = null;
        while (await _channel.BasicGetAsync(ErrorQueue, autoAck: false) is { } message)
        {
            if (Encoding.UTF8.GetString(message.Body.Span).Contains(text, StringComparison.Ordinal))
            {
                var header = message.BasicProperties.Headers?["MT-Fault-Message"];
                reason = header is byte[] bytes ? Encoding.UTF8.GetString(bytes) : header?.ToString() ?? "";
                await _channel.BasicAckAsync(message.DeliveryTag, multiple: false);
                break;
            }

            others.Add(message.DeliveryTag);
        }

        foreach (var tag in others)
        {
            await _channel.BasicNackAsync(tag, multiple: false, requeue: true);
        }

        return reason;
    }

    private async Task PublishAsync(byte[] body)
    {
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent };
        await _channel.BasicPublishAsync(AmqpProbe.ExchangeOf("SubmitItems"), routingKey: "", mandatory: false, basicProperties: properties, body: body);
    }

    private static byte[] Envelope(object message) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        messageId = Guid.NewGuid(),
        messageType = new[] { "urn:message:" + AmqpProbe.ExchangeOf("SubmitItems") },
        message,
        sentTime = DateTimeOffset.UtcNow,
    }, JsonSerializerOptions.Web));

    private static object Command(Guid project, Guid batch, int schemaVersion, params object[] items) =>
        new { projectId = project, batchId = batch, items, schemaVersion, occurredAt = DateTimeOffset.UtcNow };

    private static object Item(string text) => new { externalId = (string?)null, text, label = (string?)null, fields = (Dictionary<string, string?>?)null };
}
