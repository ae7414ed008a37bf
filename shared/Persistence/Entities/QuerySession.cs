namespace ActiveLabel.Persistence.Entities;

/// <summary>One ranking of a project's unlabeled pool; the Dataiku plugin's session_id.</summary>
public sealed class QuerySession
{
    public Guid ProjectId { get; set; }

    /// <summary>Counts up from 1 per project.</summary>
    public int SessionId { get; set; }

    /// <summary>The model that ranked the pool; null for a cold-start session.</summary>
    public int? ModelVersion { get; set; }

    public required string Strategy { get; set; }
    public int QueryCount { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>An item's place in a query session.</summary>
public sealed class Query
{
    public Guid ProjectId { get; set; }
    public int SessionId { get; set; }

    /// <summary>1 is the most informative item.</summary>
    public int Rank { get; set; }

    public long ItemId { get; set; }

    /// <summary>The strategy's score, normalised to [0, 1]; higher is more informative.</summary>
    public double Score { get; set; }

    /// <summary>Mirrors the item's <see cref="Item.IsLabeled"/> (set when it is labeled), so the open part of a session is one index.</summary>
    public bool IsLabeled { get; set; }
}
