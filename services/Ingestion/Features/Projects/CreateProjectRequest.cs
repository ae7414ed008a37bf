namespace ActiveLabel.Ingestion.Features.Projects;

/// <summary>Body of <c>POST /api/projects</c>.</summary>
internal sealed record CreateProjectRequest(
    string? Name,
    string? TaskType,
    IReadOnlyList<LabelDefinition>? Labels,
    IReadOnlyList<string>? TextColumns,
    IReadOnlyList<string>? FeatureColumns,
    int? RetrainEvery,
    string? QueryStrategy,
    int? QueryBatchSize);

internal sealed record LabelDefinition(string? Name, string? Description, string? Key);
