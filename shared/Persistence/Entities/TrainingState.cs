namespace ActiveLabel.Persistence.Entities;

/// <summary>The Trainer's bookkeeping per project: labels seen on the bus and the training lock.</summary>
public sealed class TrainingState
{
    public Guid ProjectId { get; set; }

    /// <summary>Distinct <c>LabelAdded</c> events consumed.</summary>
    public long LabelsObserved { get; set; }

    /// <summary>Highest label id seen in a <c>LabelAdded</c> event.</summary>
    public long LastObservedLabelId { get; set; }

    public DateTimeOffset? LastEventAt { get; set; }

    /// <summary>
    /// <see cref="LabelsObserved"/> when the latest training started; the next one is due when N more were observed
    /// (the Dataiku "every n labeling" trigger).
    /// </summary>
    public long LabelsAtLastTraining { get; set; }

    /// <summary>Which trainer replica holds the project's training, and until when (a lease, so a dead replica lets go).</summary>
    public string? TrainingOwner { get; set; }
    public DateTimeOffset? TrainingLeaseUntil { get; set; }
}
