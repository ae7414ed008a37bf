using System.ComponentModel.DataAnnotations;

namespace ActiveLabel.Trainer.Features.Training;

/// <summary>Training policy (section <c>Trainer</c>, e.g. <c>Trainer__IdleFlushSeconds</c>).</summary>
internal sealed class TrainerOptions
{
    public const string SectionName = "Trainer";

    /// <summary>
    /// Train on the labels that arrived since the last model, even fewer than N, once no label came for this long;
    /// so when annotators pause, the model catches up with every label. 0 turns it off.
    /// </summary>
    [Range(0, 86_400)]
    public int IdleFlushSeconds { get; set; } = 60;

    /// <summary>
    /// At least this long between two checks of one project: under a stream of labels each check counts the project's
    /// labels, and checking after every event cost more than the labels themselves. A trigger fires at most this late.
    /// </summary>
    [Range(0, 60_000)]
    public int CheckIntervalMs { get; set; } = 250;

    /// <summary>How often every project is checked for a due training (catches triggers lost in a crash).</summary>
    [Range(1, 3_600)]
    public int SweepSeconds { get; set; } = 15;

    /// <summary>Unlabeled items read to fit the TF-IDF vocabulary and IDF weights beside the labeled ones.</summary>
    [Range(0, 10_000_000)]
    public int VocabularyPoolSample { get; set; } = 50_000;
}
