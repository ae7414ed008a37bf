namespace ActiveLabel.Persistence.Entities;

/// <summary>
/// The Trainer's record of the <c>LabelAdded</c> events it consumed per project (what the bus delivered, for
/// monitoring); the retrain trigger itself counts the labels table.
/// </summary>
public sealed class TrainingState
{
    public Guid ProjectId { get; set; }

    /// <summary>Distinct <c>LabelAdded</c> events consumed.</summary>
    public long LabelsObserved { get; set; }

    /// <summary>Highest label id seen in a <c>LabelAdded</c> event.</summary>
    public long LastObservedLabelId { get; set; }

    public DateTimeOffset? LastEventAt { get; set; }
}
