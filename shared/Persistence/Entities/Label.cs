namespace ActiveLabel.Persistence.Entities;

/// <summary>An annotator's label of an item, with what is needed to audit why the item was asked.</summary>
public sealed class Label
{
    public long Id { get; set; }
    public Guid ProjectId { get; set; }
    public long ItemId { get; set; }
    public required string Annotator { get; set; }
    public required string Value { get; set; }

    /// <summary>The client's request id: a retried submission with the same id is not stored twice.</summary>
    public Guid RequestId { get; set; }

    public int? QuerySessionId { get; set; }
    public string? QueryStrategy { get; set; }
    public double? QueryScore { get; set; }
    public int? QueryRank { get; set; }
    public int? ModelVersion { get; set; }

    public int? TimeSpentMs { get; set; }
    public string? Comment { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
}
