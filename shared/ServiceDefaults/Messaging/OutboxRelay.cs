using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using ActiveLabel.Contracts;
using ActiveLabel.ServiceDefaults.Telemetry;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ActiveLabel.ServiceDefaults.Messaging;

/// <summary>
/// Publishes committed outbox messages to RabbitMQ. Rows are claimed with <c>FOR UPDATE SKIP LOCKED</c>, so any
/// number of replicas relay in parallel without sending a row twice; a row is marked sent only after the broker
/// confirmed it, so a crash in between re-sends it (consumers are idempotent). A claimed batch is published
/// concurrently.
/// </summary>
internal sealed class OutboxRelay(NpgsqlDataSource dataSource, IBus bus, OutboxSignal signal, ILogger<OutboxRelay> logger) : BackgroundService
{
    private const int BatchSize = 200;
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private static readonly Dictionary<string, Type> ContractTypes = typeof(IProjectMessage).Assembly.GetTypes()
        .Where(t => t.IsClass && typeof(IProjectMessage).IsAssignableFrom(t))
        .ToDictionary(t => t.FullName!);

    /// <summary><c>alp.outbox.lag</c> (ms): from an outbox message's commit to the broker's confirmation of its publish.</summary>
    private static readonly Histogram<double> Lag = PlatformTelemetry.Meter.CreateHistogram<double>(
        "alp.outbox.lag", "ms", "Time from an outbox message's commit to its broker confirmation.");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var sent = await DispatchBatchAsync(stoppingToken);
                backoff = TimeSpan.FromMilliseconds(200);
                if (sent < BatchSize)
                {
                    await signal.WaitAsync(PollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Broker or database away: the rows stay pending and are retried; nothing is lost.
                logger.LogWarning(ex, "Outbox relay failed; retrying in {BackoffMs} ms", backoff.TotalMilliseconds);
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    private async Task<int> DispatchBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var pending = await ClaimPendingAsync(connection, transaction, cancellationToken);
        if (pending.Count == 0)
        {
            return 0;
        }

        // All in flight at once, each awaiting its broker confirm: one at a time, a batch took a confirm round trip
        // per message. Consumers never relied on the order (they run concurrently), and a failed publish rolls the
        // whole batch back to pending, to be sent again (consumers are idempotent).
        await Task.WhenAll(pending.Select(message => PublishAsync(message, cancellationToken)));

        await using (var update = new NpgsqlCommand("UPDATE outbox_messages SET dispatched_at = now(), attempts = attempts + 1 WHERE id = ANY(@ids)", connection, transaction))
        {
            update.Parameters.AddWithValue("ids", pending.Select(m => m.Id).ToArray());
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        foreach (var message in pending)
        {
            Lag.Record((now - message.CreatedAt).TotalMilliseconds);
        }

        logger.LogDebug("Relayed {Count} outbox messages", pending.Count);
        return pending.Count;
    }

    private static async Task<List<PendingMessage>> ClaimPendingAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id, message_type, body::text, trace_parent, created_at FROM outbox_messages
            WHERE dispatched_at IS NULL ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED
            """;
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("limit", BatchSize);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var pending = new List<PendingMessage>();
        while (await reader.ReadAsync(cancellationToken))
        {
            pending.Add(new PendingMessage(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return pending;
    }

    private async Task PublishAsync(PendingMessage message, CancellationToken cancellationToken)
    {
        if (!ContractTypes.TryGetValue(message.MessageType, out var type))
        {
            throw new InvalidOperationException($"Outbox message {message.Id} has unknown type '{message.MessageType}'.");
        }

        var body = JsonSerializer.Deserialize(message.Body, type, Outbox.JsonOptions)!;

        // Continue the trace of the request that wrote the message, so MassTransit's send span and the consumers'
        // spans hang under it.
        ActivityContext.TryParse(message.TraceParent, null, out var parent);
        using var activity = PlatformTelemetry.ActivitySource.StartActivity("outbox relay " + type.Name, ActivityKind.Producer, parent);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PublishTimeout);
        await bus.Publish(body, type, timeout.Token);
    }

    private sealed record PendingMessage(long Id, string MessageType, string Body, string? TraceParent, DateTimeOffset CreatedAt);
}
