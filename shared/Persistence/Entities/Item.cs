namespace ActiveLabel.Persistence.Entities;

/// <summary>An item to classify: a text or a tabular row.</summary>
public sealed class Item
{
    public long Id { get; set; }
    public Guid ProjectId { get; set; }

    /// <summary>The source's id for the item; unique in the project.</summary>
    public required string ExternalId { get; set; }

    /// <summary>SHA-256 of the canonical payload; unique in the project, which is how duplicates are found.</summary>
    public required byte[] ContentHash { get; set; }

    /// <summary>The item's content as a JSON object of column name to value.</summary>
    public required string Payload { get; set; }

    /// <summary>A label that came with the item at ingestion: the item is part of the seed set.</summary>
    public string? SeedLabel { get; set; }

    /// <summary>True once the item has a seed label or an annotator's label; the unlabeled pool is the rest.</summary>
    public bool IsLabeled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
