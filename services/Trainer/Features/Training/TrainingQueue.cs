using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;

namespace ActiveLabel.Trainer.Features.Training;

/// <summary>
/// Projects that may be due for training. A project already queued is not queued again, so a burst of labels
/// becomes one check (and at most one training). Each request carries the trace context of what caused it (the
/// first of a burst), so the training, <c>ModelTrained</c> and the new query session continue that label's trace.
/// </summary>
internal sealed class TrainingQueue
{
    private readonly Channel<TrainingRequest> _channel = Channel.CreateUnbounded<TrainingRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<Guid, byte> _queued = new();

    public void Request(Guid projectId)
    {
        if (_queued.TryAdd(projectId, 0))
        {
            _channel.Writer.TryWrite(new TrainingRequest(projectId, Activity.Current?.Context ?? default));
        }
    }

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
