using ActiveLabel.Persistence.Entities;

namespace ActiveLabel.Ingestion.Features.Projects;

internal sealed record ProjectResponse(
    Guid Id,
    string Name,
    string TaskType,
    IReadOnlyList<LabelResponse> Labels,
    IReadOnlyList<string> TextColumns,
    IReadOnlyList<string> FeatureColumns,
    int RetrainEvery,
    string QueryStrategy,
    int QueryBatchSize,
    DateTimeOffset CreatedAt)
{
    public static ProjectResponse From(Project project) => new(
        project.Id,
        project.Name,
        project.TaskType.ToString().ToLowerInvariant(),
        [.. project.Labels.OrderBy(l => l.Position).Select(l => new LabelResponse(l.Name, l.Description, l.Key))],
        project.TextColumns,
        project.FeatureColumns,
        project.RetrainEvery,
        project.QueryStrategy,
        project.QueryBatchSize,
        project.CreatedAt);
}

internal sealed record LabelResponse(string Name, string? Description, string? Key);
