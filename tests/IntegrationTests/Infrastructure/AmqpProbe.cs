using System.Text;
using System.Text.Json;
using RabbitMQ.Client;

namespace ActiveLabel.IntegrationTests.Infrastructure;

/// <summary>
/// A plain AMQP connection to a test virtual host, standing in for an external system: it publishes MassTransit
/// envelopes and reads what the services publish, without a bus of its own in the test process.
/// </summary>
internal sealed class AmqpProbe : IAsyncDisposable
{
    private const string EnvelopeContentType = "application/vnd.masstransit+json";
    private readonly IConnection _connection;
    private readonly IChannel _channel;

    private AmqpProbe(IConnection connection, IChannel channel) => (_connection, _channel) = (connection, channel);

    public static async Task<AmqpProbe> ConnectAsync(string virtualHost)
    {
        var factory = new ConnectionFactory
        {
            HostName = TestEnvironment.RabbitHost,
            Port = TestEnvironment.RabbitPort,
            VirtualHost = virtualHost,
            UserName = TestEnvironment.RabbitUser,
            Password = TestEnvironment.RabbitPassword,
        };
        var connection = await factory.CreateConnectionAsync();
        return new AmqpProbe(connection, await connection.CreateChannelAsync());
    }

    /// <summary>MassTransit's exchange for a contract, e.g. <c>ActiveLabel.Contracts:ItemsIngested</c>.</summary>
    public static string ExchangeOf(string contract) => "ActiveLabel.Contracts:" + contract;

    /// <summary>Binds a new exclusive queue to the contract's exchange (declared as MassTransit declares it) and returns its name.</summary>
    public async Task<string> SubscribeAsync(string contract)
    {
        await _channel.ExchangeDeclareAsync(ExchangeOf(contract), ExchangeType.Fanout, durable: true, autoDelete: false);
        var queue = await _channel.QueueDeclareAsync(queue: "", durable: false, exclusive: true, autoDelete: true);
        await _channel.QueueBindAsync(queue.QueueName, ExchangeOf(contract), routingKey: "");
        return queue.QueueName;
    }

    /// <summary>The <c>message</c> part of the next envelope in <paramref name="queue"/>, or null if the queue is empty.</summary>
    public async Task<JsonElement?> TryReceiveAsync(string queue)
    {
        var result = await _channel.BasicGetAsync(queue, autoAck: true);
        if (result is null)
        {
            return null;
        }

        using var envelope = JsonDocument.Parse(result.Body);
        return envelope.RootElement.GetProperty("message").Clone();
    }

    /// <summary>
    /// Publishes <paramref name="message"/> as a MassTransit envelope to the contract's exchange, as an external
    /// publisher would; with <paramref name="messageId"/> (else a new one) in the envelope and the AMQP properties.
    /// </summary>
    public async Task PublishAsync(string contract, object message, Guid? messageId = null)
    {
        var id = messageId ?? Guid.NewGuid();
        var envelope = new
        {
            messageId = id,
            messageType = new[] { "urn:message:" + ExchangeOf(contract) },
            message,
            sentTime = DateTimeOffset.UtcNow,
        };
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(envelope, JsonSerializerOptions.Web));
        var properties = new BasicProperties { ContentType = EnvelopeContentType, DeliveryMode = DeliveryModes.Persistent, MessageId = id.ToString() };
        await _channel.BasicPublishAsync(ExchangeOf(contract), routingKey: "", mandatory: false, basicProperties: properties, body: body);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
