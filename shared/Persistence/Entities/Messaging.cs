namespace ActiveLabel.Persistence.Entities;

/// <summary>A message written in the same transaction as the state change it announces; a relay publishes it.</summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }

    /// <summary>Assembly-qualified-free contract name, e.g. <c>ActiveLabel.Contracts.LabelAdded</c>.</summary>
    public required string MessageType { get; set; }

    public required string Body { get; set; }

    /// <summary>W3C trace context of the transaction that wrote the message, so the trace continues across the bus.</summary>
    public string? TraceParent { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DispatchedAt { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
}

/// <summary>A message a consumer has handled; its key makes a redelivery a no-op.</summary>
public sealed class InboxMessage
{
    public required string Consumer { get; set; }
    public required string MessageKey { get; set; }
    public DateTimeOffset ProcessedAt { get; set; }
}
