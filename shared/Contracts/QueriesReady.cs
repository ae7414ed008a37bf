namespace ActiveLabel.Contracts;

/// <summary>Event: a new query session (the unlabeled pool ranked by a model) is stored and should be served from now on.</summary>
/// <param name="ProjectId">The project.</param>
/// <param name="SessionId">Session number, counting up from 1 per project (the Dataiku plugin's session_id).</param>
/// <param name="ModelVersion">The model that ranked the pool; null for a cold-start session.</param>
/// <param name="Strategy">The query strategy used, e.g. "least_confidence".</param>
/// <param name="QueryCount">Ranked items in the session.</param>
/// <param name="SchemaVersion">Contract version.</param>
/// <param name="OccurredAt">When the session was stored.</param>
public sealed record QueriesReady(
    Guid ProjectId,
    int SessionId,
    int? ModelVersion,
    string Strategy,
    int QueryCount,
    int SchemaVersion,
    DateTimeOffset OccurredAt) : IProjectMessage;
