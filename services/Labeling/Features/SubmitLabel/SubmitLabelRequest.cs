namespace ActiveLabel.Labeling.Features.SubmitLabel;

/// <summary>Body of <c>POST /api/projects/{projectId}/items/{itemId}/labels</c>.</summary>
/// <param name="RequestId">Chosen by the client; resending the same id returns the stored label instead of adding another.</param>
/// <param name="Label">One of the project's labels.</param>
/// <param name="TimeSpentMs">How long the annotator looked at the item.</param>
/// <param name="Comment">Optional free text.</param>
internal sealed record SubmitLabelRequest(Guid? RequestId, string? Label, int? TimeSpentMs, string? Comment);

internal sealed record LabelResponse(
    long Id,
    long ItemId,
    string Label,
    string Annotator,
    int? QuerySessionId,
    string? QueryStrategy,
    double? QueryScore,
    int? QueryRank,
    int? ModelVersion,
    int? TimeSpentMs,
    string? Comment,
    DateTimeOffset CreatedAt);
