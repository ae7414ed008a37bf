using ActiveLabel.Learning;
using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Reading;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace ActiveLabel.Labeling.Features.Dashboard;

/// <summary>
/// The learning engine's stopping signal (stabilizing predictions, <see cref="StoppingMonitor"/>): the newest model
/// versions predict a fixed stop set, the first <see cref="StoppingSignalCache.StopSetSize"/> unlabeled items by id, and Cohen's kappa
/// between successive versions' predictions is averaged over the last <see cref="StoppingSignalCache.Window"/> pairs.
/// <see cref="StoppingSignal.ShouldStop"/> when that mean reaches <see cref="StoppingSignalCache.Threshold"/>.
/// </summary>
internal sealed record StoppingSignal(
    int? NewestVersion, int StopSetItems, IReadOnlyList<VersionAgreement> Pairs, double? LastPercentAgreement, double? LastKappa, double? MeanKappa, int Window, double Threshold, bool ShouldStop);

/// <summary>Agreement of two successive versions' predicted classes on the stop set.</summary>
internal sealed record VersionAgreement(int From, int To, double PercentAgreement, double Kappa);

/// <summary>
/// Computes <see cref="StoppingSignal"/> and keeps it per (project, newest version): a new version changes the answer,
/// nothing else does, and deserializing models and predicting 2,000 items is too slow for every page refresh.
/// </summary>
internal sealed class StoppingSignalCache(IMemoryCache cache, IServiceScopeFactory scopes, NpgsqlDataSource dataSource, ILogger<StoppingSignalCache> logger)
{
    public const int StopSetSize = 2_000;
    public const int Window = 3;
    public const double Threshold = 0.99;

    public async Task<StoppingSignal> GetAsync(Guid projectId, IReadOnlyList<int> versions, CancellationToken cancellationToken)
    {
        if (versions.Count < 2)
        {
            return new StoppingSignal(versions.Count == 0 ? null : versions[^1], 0, [], null, null, null, Window, Threshold, false);
        }

        // Two concurrent first requests may both compute; the result is the same, so no lock is worth it.
        var key = (nameof(StoppingSignalCache), projectId, versions[^1]);
        if (cache.TryGetValue(key, out StoppingSignal? cached) && cached is not null)
        {
            return cached;
        }

        var signal = await ComputeAsync(projectId, versions.TakeLast(Window + 1).ToList(), cancellationToken);
        cache.Set(key, signal, new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromHours(1) });
        return signal;
    }

    private async Task<StoppingSignal> ComputeAsync(Guid projectId, List<int> versions, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        List<ItemRow> stopSet;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            stopSet = await ProjectItemsReader.ReadUnlabeledAsync(connection, projectId, StopSetSize, cancellationToken);
        }

        if (stopSet.Count == 0)
        {
            return new StoppingSignal(versions[^1], 0, [], null, null, null, Window, Threshold, false);
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var monitor = new StoppingMonitor(Window, Threshold);
        var pairs = new List<VersionAgreement>();
        // Class names, not indices, are compared: two versions may order their classes differently.
        var classIds = new Dictionary<string, int>(StringComparer.Ordinal);
        int[]? previous = null;
        var previousVersion = 0;
        foreach (var version in versions)
        {
            var bytes = await db.ModelVersions.AsNoTracking().Where(m => m.ProjectId == projectId && m.Version == version).Select(m => m.Model).SingleAsync(cancellationToken);
            ProjectModel model;
            try
            {
                model = ProjectModel.Deserialize(bytes);
            }
            catch (ModelFormatException ex)
            {
                // A model this build cannot read (an older format) has no predictions to compare; the page shows no signal.
                logger.LogWarning(ex, "Stopping signal of {ProjectId}: model v{Version} is unreadable", projectId, version);
                return new StoppingSignal(versions[^1], stopSet.Count, [], null, null, null, Window, Threshold, false);
            }

            var predictions = Predict(model, stopSet, classIds);
            var kappa = monitor.Observe(predictions);
            if (previous is not null && kappa is { } k)
            {
                var same = previous.Zip(predictions).Count(p => p.First == p.Second);
                pairs.Add(new VersionAgreement(previousVersion, version, same / (double)predictions.Length, k));
            }

            previous = predictions;
            previousVersion = version;
        }

        logger.LogInformation(
            "Stopping signal of {ProjectId} at v{Version}: kappa {Kappa} on {StopSetItems} items in {ElapsedMs} ms",
            projectId, versions[^1], pairs[^1].Kappa, stopSet.Count, (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        var recent = pairs.TakeLast(Window).Select(p => p.Kappa).ToList();
        return new StoppingSignal(versions[^1], stopSet.Count, pairs, pairs[^1].PercentAgreement, pairs[^1].Kappa, recent.Average(), Window, Threshold, monitor.ShouldStop);
    }

    private static int[] Predict(ProjectModel model, List<ItemRow> items, Dictionary<string, int> classIds)
    {
        var classes = model.Classes.Count;
        var probabilities = model.PredictProba(ItemTable.FromRows([.. items.Select(r => r.Columns)], model.Featurizer.Schema.AllColumns));
        var predictions = new int[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var best = 0;
            for (var c = 1; c < classes; c++)
            {
                if (probabilities[(i * classes) + c] > probabilities[(i * classes) + best])
                {
                    best = c;
                }
            }

            var name = model.Classes[best];
            if (!classIds.TryGetValue(name, out var id))
            {
                classIds[name] = id = classIds.Count;
            }

            predictions[i] = id;
        }

        return predictions;
    }
}
