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

    public int TrainingDurationMs { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
