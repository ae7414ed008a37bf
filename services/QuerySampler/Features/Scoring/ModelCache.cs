using ActiveLabel.Learning;
using ActiveLabel.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace ActiveLabel.QuerySampler.Features.Scoring;

/// <summary>
/// Deserialized models by (project, version), a bounded number of them. Every call asks the database for the latest
/// version number (one read on the unique (project_id, version) index), so a newly trained model is used by the very
/// next call, while the model bytes are read and deserialized once per version.
/// </summary>
internal sealed class ModelCache(IOptions<ScorerOptions> options, ILogger<ModelCache> logger) : IDisposable
{
    private readonly MemoryCache _models = new(new MemoryCacheOptions { SizeLimit = options.Value.CachedModels });

    /// <summary>The project's latest model, or null when none has been trained yet.</summary>
    public async Task<(int Version, ProjectModel Model)?> GetLatestAsync(PlatformDbContext db, Guid projectId, CancellationToken cancellationToken)
    {
        var version = await db.ModelVersions.Where(m => m.ProjectId == projectId).MaxAsync(m => (int?)m.Version, cancellationToken);
        if (version is not { } latest)
        {
            return null;
        }

        if (_models.TryGetValue((projectId, latest), out ProjectModel? cached) && cached is not null)
        {
            return (latest, cached);
        }

        var bytes = await db.ModelVersions.Where(m => m.ProjectId == projectId && m.Version == latest).Select(m => m.Model).SingleAsync(cancellationToken);
        var model = ProjectModel.Deserialize(bytes);
        _models.Set((projectId, latest), model, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromHours(1) });
        logger.LogInformation("Loaded model {ProjectId} v{Version} ({Bytes} bytes) for scoring", projectId, latest, bytes.Length);
        return (latest, model);
    }

    public void Dispose() => _models.Dispose();
}
