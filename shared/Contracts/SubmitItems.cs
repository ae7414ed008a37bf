namespace ActiveLabel.Contracts;

/// <summary>
/// Command: an external system submits items for a project. Ingestion validates each item, skips duplicates
/// (same content in the same project) and answers with <see cref="ItemsIngested"/>.
/// Re-sending a command with the same <see cref="BatchId"/> is a no-op.
/// </summary>
/// <param name="ProjectId">Target project; it must exist.</param>
/// <param name="BatchId">Idempotency key chosen by the publisher.</param>
/// <param name="Items">The items, at most 10,000 per command.</param>
/// <param name="SchemaVersion">Contract version; Ingestion refuses (parks) versions it does not know.</param>
/// <param name="OccurredAt">When the publisher sent the batch.</param>
public sealed record SubmitItems(
    Guid ProjectId,
    Guid BatchId,
    IReadOnlyList<SubmittedItem> Items,
    int SchemaVersion,
    DateTimeOffset OccurredAt) : IProjectMessage;

/// <summary>One item of a <see cref="SubmitItems"/> command.</summary>
/// <param name="ExternalId">The publisher's id for the item, unique in the project; derived from the content when null.</param>
/// <param name="Text">The text to classify, for text projects.</param>
/// <param name="Fields">Column values, for tabular projects (and extra columns of text projects).</param>
/// <param name="Label">An existing label: the item joins the seed set. Must be one of the project's labels.</param>
public sealed record SubmittedItem(
    string? ExternalId,
    string? Text,
    IReadOnlyDictionary<string, string?>? Fields,
    string? Label);
