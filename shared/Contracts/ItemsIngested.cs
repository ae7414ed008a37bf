namespace ActiveLabel.Contracts;

/// <summary>Event: a batch of items was stored for a project (from a file upload or a <see cref="SubmitItems"/> command).</summary>
/// <param name="ProjectId">The project.</param>
/// <param name="BatchId">The upload's id, or the <see cref="SubmitItems.BatchId"/> it answers.</param>
/// <param name="Received">Items in the batch.</param>
/// <param name="Inserted">Items stored.</param>
/// <param name="Duplicates">Items skipped because the project already held the same content or external id.</param>
/// <param name="Rejected">Items refused by validation (reasons are reported to the submitter, not carried here).</param>
/// <param name="SeedLabels">Inserted items that carried a label and joined the seed set.</param>
/// <param name="SchemaVersion">Contract version.</param>
/// <param name="OccurredAt">When the batch was committed.</param>
public sealed record ItemsIngested(
    Guid ProjectId,
    Guid BatchId,
    int Received,
    int Inserted,
    int Duplicates,
    int Rejected,
    int SeedLabels,
    int SchemaVersion,
    DateTimeOffset OccurredAt) : IProjectMessage;
