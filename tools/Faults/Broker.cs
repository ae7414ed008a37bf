using System.Text;
using RabbitMQ.Client;

namespace ActiveLabel.Faults;

/// <summary>A message parked in an error queue, with the reason MassTransit recorded.</summary>
internal sealed record ParkedMessage(string Queue, string MessageType, string Reason);

/// <summary>The broker side of the checks: queue depths and what sits in the error queues (read, then left there).</summary>
internal sealed class Broker(ConnectionFactory factory) : IAsyncDisposable
{
    private IConnection? _connection;

    /// <summary>Messages ready in <paramref name="queue"/>; 0 for a queue that does not exist.</summary>
    public async Task<uint> DepthAsync(string queue, CancellationToken cancellationToken)
    {
        await using var channel = await (await ConnectAsync(cancellationToken)).CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue, cancellationToken)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0; // NOT_FOUND closes the channel: no such queue, nothing waiting.
        }
    }

    /// <summary>
    /// Reads every message of <paramref name="queue"/> without acknowledging it, so closing the channel puts them all
    /// back: the checker explains the error queue and leaves it as it was (a replay command can still use it).
    /// </summary>
    public async Task<List<ParkedMessage>> PeekAsync(string queue, CancellationToken cancellationToken)
    {
        var parked = new List<ParkedMessage>();
        await using var channel = await (await ConnectAsync(cancellationToken)).CreateChannelAsync(cancellationToken: cancellationToken);
        while (await channel.BasicGetAsync(queue, autoAck: false, cancellationToken) is { } message)
        {
            var headers = message.BasicProperties.Headers ?? new Dictionary<string, object?>();
            parked.Add(new ParkedMessage(
                queue,
                Header(headers, "MT-Fault-MessageType") ?? message.BasicProperties.Type ?? "?",
                $"{Header(headers, "MT-Fault-ExceptionType") ?? "no fault recorded"}: {Header(headers, "MT-Fault-Message") ?? Header(headers, "MT-Reason") ?? ""}"));
        }

        return parked;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }

    private async Task<IConnection> ConnectAsync(CancellationToken cancellationToken) =>
        _connection is { IsOpen: true } open ? open : _connection = await factory.CreateConnectionAsync("alp-faults", cancellationToken);

    private static string? Header(IDictionary<string, object?> headers, string name) => headers.TryGetValue(name, out var value) ? value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        null => null,
        var other => other.ToString(),
    } : null;
}
