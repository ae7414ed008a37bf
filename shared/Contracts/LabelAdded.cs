namespace ActiveLabel.Contracts;

/// <summary>Event: an annotator's label was stored. Published once per stored label (through the outbox).</summary>
/// <param name="ProjectId">The project.</param>
/// <param name="LabelId">The label's id; ids grow with time within the database.</param>
/// <param name="ItemId">The labeled item.</param>
/// <param name="Label">The label given, one of the project's label set.</param>
/// <param name="Annotator">Who labeled.</param>
/// <param name="QuerySessionId">The query session the item was served from; null when served before the first model.</param>
/// <param name="SchemaVersion">Contract version.</param>
/// <param name="OccurredAt">When the label was stored.</param>
public sealed record LabelAdded(
    Guid ProjectId,
    long LabelId,
    long ItemId,
    string Label,
    string Annotator,
    int? QuerySessionId,
    int SchemaVersion,
    DateTimeOffset OccurredAt) : IProjectMessage;
