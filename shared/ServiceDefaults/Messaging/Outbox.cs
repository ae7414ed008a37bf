using System.Diagnostics;
using System.Text.Json;
using ActiveLabel.Contracts;
using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Entities;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ActiveLabel.ServiceDefaults.Messaging;

/// <summary>
/// Writes events into the outbox table through the caller's <see cref="PlatformDbContext"/>, so the event is
/// committed in the same transaction as the state change it announces; <see cref="OutboxRelay"/> publishes it.
/// </summary>
public static class Outbox
{
    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Adds <paramref name="message"/> to the unit of work of <paramref name="db"/>; nothing is sent until it
    /// commits. After the commit, call <see cref="OutboxSignal.Notify"/> so the relay sends it at once.
    /// </summary>
    public static void AddOutboxMessage<T>(this PlatformDbContext db, T message)
        where T : class, IProjectMessage
    {
        db.OutboxMessages.Add(new OutboxMessage
        {
            MessageType = typeof(T).FullName!,
            Body = JsonSerializer.Serialize(message, JsonOptions),
            TraceParent = Activity.Current?.Id,
            CreatedAt = DateTimeOffset.UtcNow,
        });
    }

    /// <summary>
    /// Writes <paramref name="message"/> in a transaction opened on a raw connection (for code that writes with COPY
    /// or hand-written SQL); it is sent once that transaction commits.
    /// </summary>
    public static async Task AddOutboxMessageAsync<T>(this NpgsqlConnection connection, NpgsqlTransaction transaction, T message, CancellationToken cancellationToken)
        where T : class, IProjectMessage
    {
        await using var command = new NpgsqlCommand(InsertSql, connection, transaction);
        AddParameters(command.Parameters, message);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The outbox row for <paramref name="message"/> as a command to add to an <see cref="NpgsqlBatch"/> holding the
    /// state change it announces (a batch without an explicit transaction commits or fails as a whole).
    /// </summary>
    public static NpgsqlBatchCommand OutboxCommand<T>(T message)
        where T : class, IProjectMessage
    {
        var command = new NpgsqlBatchCommand(InsertSql);
        AddParameters(command.Parameters, message);
        return command;
    }

    private const string InsertSql =
        "INSERT INTO outbox_messages (message_type, body, trace_parent, created_at, attempts) VALUES (@type, @body::jsonb, @trace, now(), 0)";

    private static void AddParameters<T>(NpgsqlParameterCollection parameters, T message)
        where T : class, IProjectMessage
    {
        parameters.AddWithValue("type", typeof(T).FullName!);
        parameters.AddWithValue("body", JsonSerializer.Serialize(message, JsonOptions));
        parameters.AddWithValue("trace", NpgsqlTypes.NpgsqlDbType.Varchar, (object?)Activity.Current?.Id ?? DBNull.Value);
    }
}

/// <summary>Wakes the relay when this process has committed outbox messages.</summary>
public sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    /// <summary>Call after a transaction that added outbox messages committed: wakes the relay instead of waiting for its next poll.</summary>
    public void Notify()
    {
        try
        {
            _semaphore.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled; one wake-up drains everything pending.
        }
    }

    /// <inheritdoc />
    public void Dispose() => _semaphore.Dispose();

    internal Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _semaphore.WaitAsync(timeout, cancellationToken);
}

internal static class OutboxServiceCollectionExtensions
{
    public static IServiceCollection AddOutbox(this IServiceCollection services)
    {
        services.AddSingleton<OutboxSignal>();
        services.AddHostedService<OutboxRelay>();
        services.AddSingleton<QueueDepthMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<QueueDepthMonitor>());
        services.AddReceiveEndpointObserver(sp => sp.GetRequiredService<QueueDepthMonitor>());
        return services;
    }
}
