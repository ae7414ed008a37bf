using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Entities;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Ingestion.Data;

/// <summary>What ingestion needs to know about a project to validate its items.</summary>
internal sealed record IngestTarget(Guid ProjectId, TaskType TaskType, IReadOnlyList<string> TextColumns, IReadOnlyList<string> FeatureColumns, IReadOnlySet<string> Labels)
{
    /// <summary>The columns an item must carry: the text columns, then the feature columns.</summary>
    public IReadOnlyList<string> ContentColumns { get; } = [.. TextColumns, .. FeatureColumns];

    public static async Task<IngestTarget?> LoadAsync(PlatformDbContext db, Guid projectId, CancellationToken cancellationToken)
    {
        var project = await db.Projects.AsNoTracking().Include(p => p.Labels).SingleOrDefaultAsync(p => p.Id == projectId, cancellationToken);
        return project is null
            ? null
            : new IngestTarget(
                project.Id,
                project.TaskType,
                project.TextColumns,
                project.FeatureColumns,
                project.Labels.Select(l => l.Name).ToHashSet(StringComparer.Ordinal));
    }
}
