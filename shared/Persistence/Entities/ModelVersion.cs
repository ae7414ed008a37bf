namespace ActiveLabel.Persistence.Entities;

/// <summary>A trained model of a project, its metrics and its serialized form.</summary>
public sealed class ModelVersion
{
    public long Id { get; set; }
    public Guid ProjectId { get; set; }

    /// <summary>Counts up from 1 per project.</summary>
    public int Version { get; set; }

    public int TrainedOnLabels { get; set; }

    /// <summary>Every label with an id up to this one was in the training set.</summary>
    public long LastLabelId { get; set; }

    /// <summary>Evaluation metrics as JSON.</summary>
    public required string Metrics { get; set; }

    /// <summary>The serialized model (versioned binary format of the learning engine).</summary>
    public required byte[] Model { get; set; }

    /// <summary>
    /// Label rows in the training snapshot (corrections change a row, not the count). The retrain trigger counts the
    /// project's labels beyond it, which also catches a label whose id is below <see cref="LastLabelId"/> but whose
    /// transaction committed after the snapshot. Null only for versions stored outside the Trainer (tests).
    /// </summary>
    public long? LabelsSeen { get; set; }

    public int TrainingDurationMs { get; set; }

    /// <summary>When the replica began reading the snapshot; null for versions stored before migration 0004.</summary>
    public DateTimeOffset? TrainingStartedAt { get; set; }

    /// <summary>The Trainer replica that trained it (host name and process id); null before migration 0004.</summary>
    public string? TrainedBy { get; set; }

    /// <summary>When the version was stored: the end of its training.</summary>
    public DateTimeOffset CreatedAt { get; set; }
}
