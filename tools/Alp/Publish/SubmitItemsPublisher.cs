using System.Collections.Concurrent;
using System.CommandLine;
using System.Text.Json;
using ActiveLabel.Alp.Platform;
using ActiveLabel.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace ActiveLabel.Alp.Publish;

/// <summary>Where the broker is; the password only from the environment (<c>RabbitMq__Password</c>), never an argument.</summary>
internal sealed record BrokerSettings(string Host, int Port, string VirtualHost, string User, string Password);

/// <summary>The broker options of commands that talk to RabbitMQ, defaulting to the variables the services read.</summary>
internal sealed class BrokerOptions
{
    private readonly Option<string?> _host = new("--rabbit-host") { Description = "RabbitMQ host (default: RabbitMq__Host, else localhost)." };
    private readonly Option<int?> _port = new("--rabbit-port") { Description = "RabbitMQ port (default: RabbitMq__Port, else 5672)." };
    private readonly Option<string?> _vhost = new("--vhost") { Description = "Virtual host (default: RabbitMq__VirtualHost, else activelabel)." };
    private readonly Option<string?> _user = new("--rabbit-user") { Description = "User (default: RabbitMq__Username); the password is read from RabbitMq__Password." };

    public static BrokerOptions AddTo(Command command)
    {
        var options = new BrokerOptions();
        command.Options.Add(options._host);
        command.Options.Add(options._port);
        command.Options.Add(options._vhost);
        command.Options.Add(options._user);
        return options;
    }

    public BrokerSettings Resolve(ParseResult parse)
    {
        var environment = PlatformOptions.Environment;
        var user = parse.GetValue(_user) ?? environment("RabbitMq__Username");
        var password = environment("RabbitMq__Password");
        if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(password))
        {
            throw new PlatformException("No RabbitMQ credentials: set RabbitMq__Username (or --rabbit-user) and RabbitMq__Password (source .local/stack.env).");
        }

        var port = parse.GetValue(_port) ?? (int.TryParse(environment("RabbitMq__Port"), out var p) ? p : 5672);
        return new BrokerSettings(
            parse.GetValue(_host) ?? environment("RabbitMq__Host") ?? "localhost", port, parse.GetValue(_vhost) ?? environment("RabbitMq__VirtualHost") ?? "activelabel", user, password);
    }
}

/// <summary>Totals of the <see cref="ItemsIngested"/> events that answered the published batches.</summary>
internal sealed record IngestedTotals(int Batches, long Received, long Inserted, long Duplicates, long Rejected, long SeedLabels);

/// <summary>
/// Publishes <see cref="SubmitItems"/> as MassTransit envelopes (the wire format Ingestion's consumer reads) to the
/// contract's exchange, with publisher confirms and a bounded number of unconfirmed messages.
/// </summary>
internal sealed class SubmitItemsPublisher : IAsyncDisposable
{
    private const string EnvelopeContentType = "application/vnd.masstransit+json";
    private static readonly string SubmitItemsExchange = ExchangeOf(nameof(SubmitItems));
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly int _inFlight;
    private readonly Queue<Task> _pending = new();

    private SubmitItemsPublisher(IConnection connection, IChannel channel, int inFlight) => (_connection, _channel, _inFlight) = (connection, channel, inFlight);

    public static async Task<SubmitItemsPublisher> ConnectAsync(BrokerSettings broker, int inFlight, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            HostName = broker.Host,
            Port = broker.Port,
            VirtualHost = broker.VirtualHost,
            UserName = broker.User,
            Password = broker.Password,
            ClientProvidedName = "alp publish-items",
        };
        IConnection connection;
        try
        {
            connection = await factory.CreateConnectionAsync(cancellationToken);
        }
        catch (RabbitMQ.Client.Exceptions.BrokerUnreachableException e)
        {
            throw new PlatformException($"Cannot reach RabbitMQ at {broker.Host}:{broker.Port} vhost '{broker.VirtualHost}' as '{broker.User}': {e.InnerException?.Message ?? e.Message}");
        }

        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        // Declared as MassTransit declares it, so publishing works before Ingestion has ever started.
        await channel.ExchangeDeclareAsync(SubmitItemsExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        return new SubmitItemsPublisher(connection, channel, inFlight);
    }

    /// <summary>MassTransit's exchange for a contract, e.g. <c>ActiveLabel.Contracts:ItemsIngested</c>.</summary>
    private static string ExchangeOf(string contract) => "ActiveLabel.Contracts:" + contract;

    /// <summary>Publishes one command; returns once fewer than the allowed number of commands await the broker's confirm.</summary>
    public async Task PublishAsync(SubmitItems command, CancellationToken cancellationToken)
    {
        var envelope = new
        {
            messageId = Guid.NewGuid(),
            messageType = new[] { "urn:message:" + SubmitItemsExchange },
            message = command,
            sentTime = DateTimeOffset.UtcNow,
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(envelope, JsonSerializerOptions.Web);
        var properties = new BasicProperties { ContentType = EnvelopeContentType, DeliveryMode = DeliveryModes.Persistent, MessageId = envelope.messageId.ToString() };
        _pending.Enqueue(_channel.BasicPublishAsync(SubmitItemsExchange, routingKey: "", mandatory: false, basicProperties: properties, body: body, cancellationToken).AsTask());
        while (_pending.Count >= _inFlight)
        {
            await _pending.Dequeue();
        }
    }

    /// <summary>Waits for the broker to confirm every published command.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (_pending.TryDequeue(out var publish))
        {
            await publish.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Listens (on a queue of its own) for the <see cref="ItemsIngested"/> events of <paramref name="projectId"/>; start before publishing.</summary>
    public async Task<IngestedWatch> WatchIngestedAsync(Guid projectId, CancellationToken cancellationToken)
    {
        var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var exchange = ExchangeOf(nameof(ItemsIngested));
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        var queue = await channel.QueueDeclareAsync(queue: "", durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(queue.QueueName, exchange, routingKey: "", cancellationToken: cancellationToken);
        var watch = new IngestedWatch(channel, projectId);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            watch.Receive(delivery.Body.Span);
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer, cancellationToken);
        return watch;
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}

/// <summary>Collects the <see cref="ItemsIngested"/> events answering the batches registered with <see cref="Expect"/>.</summary>
internal sealed class IngestedWatch(IChannel channel, Guid projectId) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, ItemsIngested?> _batches = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public void Expect(Guid batchId) => _batches.TryAdd(batchId, null);

    public void Receive(ReadOnlySpan<byte> envelope)
    {
        using var document = JsonDocument.Parse(envelope.ToArray());
        var message = document.RootElement.GetProperty("message").Deserialize<ItemsIngested>(JsonSerializerOptions.Web);
        if (message is not null && message.ProjectId == projectId && _batches.TryGetValue(message.BatchId, out var seen) && seen is null
            && _batches.TryUpdate(message.BatchId, message, null))
        {
            _arrived.Release();
        }
    }

    /// <summary>Waits until every expected batch was announced or <paramref name="timeout"/> passed; the totals so far.</summary>
    public async Task<IngestedTotals> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var answered = 0;
        while (answered < _batches.Count && deadline - DateTime.UtcNow is { Ticks: > 0 } left && await _arrived.WaitAsync(left, cancellationToken))
        {
            answered++;
        }

        var events = _batches.Values.OfType<ItemsIngested>().ToList();
        return new IngestedTotals(
            events.Count, events.Sum(e => (long)e.Received), events.Sum(e => (long)e.Inserted), events.Sum(e => (long)e.Duplicates),
            events.Sum(e => (long)e.Rejected), events.Sum(e => (long)e.SeedLabels));
    }

    public async ValueTask DisposeAsync()
    {
        await channel.DisposeAsync();
        _arrived.Dispose();
    }
}
