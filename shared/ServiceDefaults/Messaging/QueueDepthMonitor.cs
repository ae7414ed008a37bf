using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ActiveLabel.ServiceDefaults.Telemetry;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace ActiveLabel.ServiceDefaults.Messaging;

/// <summary>
/// Samples the backlog in the background (every <c>Telemetry:QueueDepthSeconds</c>, 15 s by default) and reports it
/// as observable gauges, so a metrics collection never waits on the database or the broker:
/// <list type="bullet">
/// <item><c>alp.outbox.pending</c> ({message}): outbox rows not yet confirmed by the broker. The table is shared, so
/// every service reports the same platform-wide number.</item>
/// <item><c>alp.queue.depth</c> ({message}, tag <c>messaging.destination.name</c>): messages ready in each of this
/// service's own RabbitMQ queues and their <c>_error</c> queues (poison messages), read with a passive queue declare.</item>
/// </list>
/// </summary>
internal sealed class QueueDepthMonitor : BackgroundService, IReceiveEndpointObserver
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly IOptions<RabbitMqOptions> _rabbit;
    private readonly ILogger<QueueDepthMonitor> _logger;
    private readonly TimeSpan _interval;
    private readonly ConcurrentDictionary<string, byte> _queues = new(StringComparer.Ordinal);
    private volatile IReadOnlyList<Measurement<long>> _depths = [];
    private long _pendingOutbox = -1; // -1: unknown (not sampled yet, or the database did not answer)
    private IConnection? _connection;

    public QueueDepthMonitor(NpgsqlDataSource dataSource, IOptions<RabbitMqOptions> rabbit, IConfiguration configuration, ILogger<QueueDepthMonitor> logger)
    {
        _dataSource = dataSource;
        _rabbit = rabbit;
        _logger = logger;
        _interval = TimeSpan.FromSeconds(Math.Clamp(configuration.GetValue("Telemetry:QueueDepthSeconds", 15.0), 0.2, 3600));
        PlatformTelemetry.Meter.CreateObservableGauge(
            "alp.outbox.pending", () => Interlocked.Read(ref _pendingOutbox) is var pending and >= 0 ? [new Measurement<long>(pending)] : Array.Empty<Measurement<long>>(),
            "{message}", "Outbox rows committed but not yet confirmed by the broker (platform-wide).");
        PlatformTelemetry.Meter.CreateObservableGauge(
            "alp.queue.depth", () => _depths, "{message}", "Messages ready in this service's RabbitMQ queues and their _error queues.");
    }

    // Receive endpoints tell where they read from once they are ready; the bus's own temporary queue is not a backlog.
    public Task Ready(ReceiveEndpointReady ready)
    {
        if (!ready.InputAddress.Query.Contains("temporary=true", StringComparison.OrdinalIgnoreCase))
        {
            var queue = ready.InputAddress.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries)[^1];
            _queues.TryAdd(queue, 0);
            _queues.TryAdd(queue + "_error", 0);
        }

        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            do
            {
                await SampleOutboxAsync(stoppingToken);
                await SampleQueuesAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
    }

    private async Task SampleOutboxAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT count(*) FROM outbox_messages WHERE dispatched_at IS NULL");
            Interlocked.Exchange(ref _pendingOutbox, (long)(await command.ExecuteScalarAsync(cancellationToken))!);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            // No number rather than a stale one: a gap in the series is what a dead database looks like.
            Interlocked.Exchange(ref _pendingOutbox, -1);
            _logger.LogDebug(ex, "Could not count pending outbox rows");
        }
    }

    private async Task SampleQueuesAsync(CancellationToken cancellationToken)
    {
        if (_queues.IsEmpty)
        {
            return;
        }

        var depths = new List<Measurement<long>>();
        try
        {
            _connection = _connection is { IsOpen: true } ? _connection : await ConnectAsync(cancellationToken);
            foreach (var queue in _queues.Keys.Order(StringComparer.Ordinal))
            {
                // A passive declare of a missing queue (an _error queue before the first fault) closes the channel,
                // so each queue gets its own.
                await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
                try
                {
                    var ok = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
                    depths.Add(new Measurement<long>(ok.MessageCount, new KeyValuePair<string, object?>("messaging.destination.name", queue)));
                }
                catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
                {
                    // Not declared (yet): nothing waits in it.
                }
            }
        }
        catch (Exception ex) when (ex is BrokerUnreachableException or AlreadyClosedException or OperationInterruptedException or IOException or TimeoutException)
        {
            _logger.LogDebug(ex, "Could not read queue depths");
            depths.Clear();
        }

        _depths = depths;
    }

    private async Task<IConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        return await _rabbit.Value.CreateConnectionFactory("queue-depth-monitor").CreateConnectionAsync(cancellationToken);
    }
}
