using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace ActiveLabel.Trainer.Features.Training;

/// <summary>
/// Projects that may be due for training. A project already queued is not queued again, so a burst of labels
/// becomes one check (and at most one training). Each request carries the trace context of what caused it (the
/// first of a burst), so the training, <c>ModelTrained</c> and the new query session continue that label's trace.
/// A project checked less than <see cref="TrainerOptions.CheckIntervalMs"/> ago is queued when that time is up.
/// </summary>
internal sealed class TrainingQueue(IOptions<TrainerOptions> options, TimeProvider time)
{
    private readonly Channel<TrainingRequest> _channel = Channel.CreateUnbounded<TrainingRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<Guid, byte> _queued = new();
    private readonly ConcurrentDictionary<Guid, long> _checkedAt = new();

    public void Request(Guid projectId)
    {
        if (!_queued.TryAdd(projectId, 0))
        {
            return;
        }

        var request = new TrainingRequest(projectId, Activity.Current?.Context ?? default);
        var wait = _checkedAt.TryGetValue(projectId, out var at)
            ? TimeSpan.FromMilliseconds(options.Value.CheckIntervalMs) - time.GetElapsedTime(at)
            : TimeSpan.Zero;
        if (wait <= TimeSpan.Zero)
        {
            _channel.Writer.TryWrite(request);
            return;
        }

        _ = Task.Delay(wait, time).ContinueWith(_ => _channel.Writer.TryWrite(request), TaskScheduler.Default);
    }

    /// <summary>The worker is about to check this project.</summary>
    public void Checking(Guid projectId) => _checkedAt[projectId] = time.GetTimestamp();

    public async IAsyncEnumerable<TrainingRequest> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var request in _channel.Reader.ReadAllAsync(cancellationToken))
        {
            // Removed before the check runs: a label arriving during the check queues the project again.
            _queued.TryRemove(request.ProjectId, out _);
            yield return request;
        }
    }
}

/// <summary>A project to check, and the trace context of the event that asked (default for the periodic sweep).</summary>
internal readonly record struct TrainingRequest(Guid ProjectId, ActivityContext Cause);
