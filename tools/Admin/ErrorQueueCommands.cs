using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace ActiveLabel.Admin;

/// <summary>
/// <c>alp-admin errors …</c>: the messages MassTransit parked in an endpoint's <c>&lt;queue&gt;_error</c> queue after
/// its retries (or at once for a permanent fault), with the fault headers it added; and their replay to the endpoint.
/// </summary>
internal static class ErrorQueueCommands
{
    /// <summary>The platform's receive endpoints (the EndpointName of each consumer definition).</summary>
    private static readonly string[] Endpoints = ["ingestion-submit-items", "trainer-label-added", "trainer-items-ingested", "query-sampler-model-trained"];

    public static Command Create() => new("errors", "Inspect and replay messages parked in the error queues.") { List(), Replay() };

    private static Command List()
    {
        var queue = new Option<string?>("--queue") { Description = "An endpoint queue (its _error queue is read); every platform endpoint when omitted." };
        var limit = new Option<int>("--limit") { Description = "Messages shown per queue.", DefaultValueFactory = _ => 50 };
        var command = new Command("list", "Count the messages in each error queue and show each one's type, fault time and reason.") { queue, limit };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var broker = await Broker.ConnectAsync(cancellationToken);
            foreach (var endpoint in parse.GetValue(queue) is { } one ? [one] : Endpoints)
            {
                var errorQueue = endpoint + "_error";
                if (await broker.CountAsync(errorQueue, cancellationToken) is not { } count)
                {
                    Console.WriteLine($"{errorQueue}: no such queue");
                    continue;
                }

                Console.WriteLine($"{errorQueue}: {count} message(s)");
                foreach (var message in await broker.BrowseAsync(errorQueue, Math.Min(count, (uint)Math.Max(0, parse.GetValue(limit))), cancellationToken))
                {
                    Console.WriteLine($"  {message.MessageId}  {message.MessageType}  {message.FaultedAt}  {message.Reason}");
                }
            }

            return 0;
        });
        return command;
    }

    private static Command Replay()
    {
        var queue = new Option<string>("--queue") { Description = "The endpoint queue to send the messages back to (they are read from its _error queue).", Required = true };
        var messageId = new Option<string?>("--message-id") { Description = "Replay only this message (its MessageId, as `errors list` shows it)." };
        var all = new Option<bool>("--all") { Description = "Replay every message now in the error queue." };
        var command = new Command("replay", "Move parked messages back to their endpoint, without their fault headers, once the cause is fixed.") { queue, messageId, all };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var id = parse.GetValue(messageId);
            var replayAll = parse.GetValue(all);
            if ((id is null && !replayAll) || (id is not null && replayAll))
            {
                Console.Error.WriteLine("Give either --message-id <id> or --all.");
                return 2;
            }

            var endpoint = parse.GetRequiredValue(queue);
            await using var broker = await Broker.ConnectAsync(cancellationToken);
            if (await broker.CountAsync(endpoint, cancellationToken) is null || await broker.CountAsync(endpoint + "_error", cancellationToken) is null)
            {
                Console.Error.WriteLine($"Queue {endpoint} or {endpoint}_error does not exist; `alp-admin errors list` shows the error queues.");
                return 1;
            }

            var replayed = await broker.ReplayAsync(endpoint, id, cancellationToken);
            if (id is not null && replayed == 0)
            {
                Console.Error.WriteLine($"No message {id} in {endpoint}_error.");
                return 1;
            }

            Console.WriteLine($"Replayed {replayed} message(s) from {endpoint}_error to {endpoint}.");
            return 0;
        });
        return command;
    }

    /// <summary>A parked message as <c>errors list</c> shows it.</summary>
    private sealed record ParkedMessage(string MessageId, string MessageType, string FaultedAt, string Reason);

    /// <summary>One AMQP connection to the platform's virtual host, configured from the services' variables.</summary>
    private sealed class Broker(IConnection connection) : IAsyncDisposable
    {
        public static async Task<Broker> ConnectAsync(CancellationToken cancellationToken)
        {
            var factory = new ConnectionFactory
            {
                HostName = Setting("RabbitMq__Host") ?? "localhost",
                Port = int.Parse(Setting("RabbitMq__Port") ?? "5672", CultureInfo.InvariantCulture),
                VirtualHost = Setting("RabbitMq__VirtualHost") ?? "/",
                UserName = Setting("RabbitMq__Username") ?? throw Missing("RabbitMq__Username"),
                Password = Setting("RabbitMq__Password") ?? throw Missing("RabbitMq__Password"),
                ClientProvidedName = "alp-admin",
            };
            return new Broker(await factory.CreateConnectionAsync(cancellationToken));
        }

        /// <summary>Messages ready in <paramref name="queue"/>, or null if it does not exist.</summary>
        public async Task<uint?> CountAsync(string queue, CancellationToken cancellationToken)
        {
            // A passive declare of a missing queue closes its channel, so each check gets a channel of its own.
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            try
            {
                return (await channel.QueueDeclarePassiveAsync(queue, cancellationToken)).MessageCount;
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
            {
                return null;
            }
        }

        /// <summary>
        /// Reads up to <paramref name="count"/> messages without taking them: each is held unacknowledged while the
        /// next is read, then all are given back to the queue, in their order.
        /// </summary>
        public async Task<List<ParkedMessage>> BrowseAsync(string queue, uint count, CancellationToken cancellationToken)
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            var messages = new List<ParkedMessage>();
            ulong lastTag = 0;
            try
            {
                while (messages.Count < count && await channel.BasicGetAsync(queue, autoAck: false, cancellationToken) is { } message)
                {
                    lastTag = message.DeliveryTag;
                    messages.Add(Describe(message));
                }
            }
            finally
            {
                if (lastTag != 0)
                {
                    await channel.BasicNackAsync(lastTag, multiple: true, requeue: true, CancellationToken.None);
                }
            }

            return messages;
        }

        /// <summary>
        /// Moves the messages in <c>&lt;endpoint&gt;_error</c> (only <paramref name="messageId"/>, when given) back to
        /// <paramref name="endpoint"/>, one at a time: publish a copy without the fault headers, wait for the broker's
        /// confirm, and only then acknowledge the parked one. Nothing is lost; an interruption between the confirm and
        /// the acknowledgement leaves the message in both queues, which the idempotent consumers absorb. Only the
        /// messages there at the start are read, so one that fails again is not replayed in a loop.
        /// </summary>
        public async Task<int> ReplayAsync(string endpoint, string? messageId, CancellationToken cancellationToken)
        {
            var errorQueue = endpoint + "_error";
            await using var channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            var parked = (await channel.QueueDeclarePassiveAsync(errorQueue, cancellationToken)).MessageCount;
            var skipped = new List<ulong>();
            var replayed = 0;
            try
            {
                for (var i = 0; i < parked; i++)
                {
                    if (await channel.BasicGetAsync(errorQueue, autoAck: false, cancellationToken) is not { } message)
                    {
                        break;
                    }

                    if (messageId is not null && !string.Equals(Describe(message).MessageId, messageId, StringComparison.OrdinalIgnoreCase))
                    {
                        skipped.Add(message.DeliveryTag); // Held until the end, so the next get returns the next message.
                        continue;
                    }

                    var properties = new BasicProperties(message.BasicProperties) { Headers = WithoutFaultHeaders(message.BasicProperties.Headers) };
                    try
                    {
                        // Mandatory, to the default exchange: straight into the endpoint's queue, or an error.
                        await channel.BasicPublishAsync(string.Empty, endpoint, mandatory: true, properties, message.Body, cancellationToken);
                    }
                    catch (PublishException)
                    {
                        await channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true, CancellationToken.None);
                        throw;
                    }

                    await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
                    replayed++;
                    if (messageId is not null)
                    {
                        break;
                    }
                }
            }
            finally
            {
                foreach (var tag in skipped)
                {
                    await channel.BasicNackAsync(tag, multiple: false, requeue: true, CancellationToken.None);
                }
            }

            return replayed;
        }

        public async ValueTask DisposeAsync() => await connection.DisposeAsync();

        private static Dictionary<string, object?>? WithoutFaultHeaders(IDictionary<string, object?>? headers) =>
            headers?.Where(h => !IsFaultHeader(h.Key)).ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);

        /// <summary>What MassTransit adds when it parks a message: <c>MT-Reason</c>, <c>MT-Fault-*</c>, <c>MT-Host-*</c>.</summary>
        private static bool IsFaultHeader(string name) =>
            name.Equals("MT-Reason", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("MT-Fault-", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("MT-Host-", StringComparison.OrdinalIgnoreCase);

        private static ParkedMessage Describe(BasicGetResult message)
        {
            var headers = message.BasicProperties.Headers;
            string? envelopeId = null, envelopeType = null;
            try
            {
                using var envelope = JsonDocument.Parse(message.Body);
                if (envelope.RootElement.TryGetProperty("messageId", out var id))
                {
                    envelopeId = id.GetString();
                }

                if (envelope.RootElement.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array && types.GetArrayLength() > 0)
                {
                    envelopeType = types[0].GetString();
                }
            }
            catch (JsonException)
            {
                // Not a JSON envelope (the reason then usually says so); the headers still tell what is known.
            }

            var type = envelopeType ?? message.BasicProperties.Type ?? "unknown";
            var reason = $"{Header(headers, "MT-Fault-ExceptionType") ?? Header(headers, "MT-Reason") ?? "unknown"}: {Header(headers, "MT-Fault-Message")}";
            return new ParkedMessage(
                message.BasicProperties.MessageId ?? envelopeId ?? "-",
                type[(type.LastIndexOf(':') + 1)..],
                Header(headers, "MT-Fault-Timestamp") ?? "-",
                reason.ReplaceLineEndings(" "));
        }

        private static string? Header(IDictionary<string, object?>? headers, string name) =>
            headers is not null && headers.TryGetValue(name, out var value)
                ? value switch
                {
                    byte[] bytes => Encoding.UTF8.GetString(bytes),
                    AmqpTimestamp time => DateTimeOffset.FromUnixTimeSeconds(time.UnixTime).ToString("O", CultureInfo.InvariantCulture),
                    null => null,
                    _ => Convert.ToString(value, CultureInfo.InvariantCulture),
                }
                : null;

        private static string? Setting(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

        private static InvalidOperationException Missing(string name) =>
            new($"{name} is not set. scripts/up writes the broker settings to .local/stack.env; run `source .local/stack.env` first.");
    }
}
