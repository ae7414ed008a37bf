namespace ActiveLabel.Persistence.Entities;

/// <summary>An annotator passed on an item; it is not served to them again (others still get it).</summary>
public sealed class ItemSkip
{
    public long ItemId { get; set; }
    public required string Annotator { get; set; }
    public Guid ProjectId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
