namespace ActiveLabel.Contracts;

/// <summary>
/// Fields every message on the platform's bus carries. Fields are only ever added, never renamed or given
/// a new meaning; a breaking change would get a new <see cref="SchemaVersion"/> and consumers refuse versions
/// they do not know.
/// </summary>
public interface IProjectMessage
{
    /// <summary>The project the message is about.</summary>
    Guid ProjectId { get; }

    /// <summary>The contract version the publisher wrote; see <see cref="SchemaVersions"/>.</summary>
    int SchemaVersion { get; }

    /// <summary>When the fact happened (or the command was issued), UTC.</summary>
    DateTimeOffset OccurredAt { get; }
}

/// <summary>The schema version each publisher writes today.</summary>
public static class SchemaVersions
{
    /// <summary>Current version of every message in this assembly.</summary>
    public const int Current = 1;
}
