using System.Collections.Concurrent;
using System.Threading.Channels;

namespace ActiveLabel.Trainer.Features.Training;

/// <summary>
/// Projects that may be due for training. A project already queued is not queued again, so a burst of labels
/// becomes one check (and at most one training).
/// </summary>
internal sealed class TrainingQueue
{
    private readonly Channel<Guid> _channel = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<Guid, byte> _queued = new();

    public void Request(Guid projectId)
    {
        if (_queued.TryAdd(projectId, 0))
        {
            _channel.Writer.TryWrite(projectId);
        }
    }

    public async IAsyncEnumerable<Guid> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var projectId in _channel.Reader.ReadAllAsync(cancellationToken))
        {
            // Removed before the check runs: a label arriving during the check queues the project again.
            _queued.TryRemove(projectId, out _);
            yield return projectId;
        }
    }
}
