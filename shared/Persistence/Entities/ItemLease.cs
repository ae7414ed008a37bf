namespace ActiveLabel.Persistence.Entities;

/// <summary>An item handed to one annotator until <see cref="ExpiresAt"/>; at most one lease per item.</summary>
public sealed class ItemLease
{
    public long ItemId { get; set; }
    public Guid ProjectId { get; set; }
    public required string Annotator { get; set; }
    public int? SessionId { get; set; }
    public DateTimeOffset LeasedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}
