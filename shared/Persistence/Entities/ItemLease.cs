namespace ActiveLabel.Persistence.Entities;

/// <summary>An item handed to one annotator until <see cref="ExpiresAt"/>; at most one lease per item.</summary>
public sealed class ItemLease
{
    public long ItemId { get; set; }
    public Guid ProjectId { get; set; }
    public required string Annotator { get; set; }
    public int? SessionId { get; set; }

    /// <summary>The item's rank in <see cref="SessionId"/> when it was served from a session; a label copies it.</summary>
    public int? QueryRank { get; set; }

    /// <summary>The item's score in <see cref="SessionId"/> when it was served from a session; a label copies it.</summary>
    public double? QueryScore { get; set; }
    public DateTimeOffset LeasedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}
