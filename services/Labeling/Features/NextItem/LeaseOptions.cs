using System.ComponentModel.DataAnnotations;

namespace ActiveLabel.Labeling.Features.NextItem;

/// <summary>How items are handed out (section <c>Labeling</c>, e.g. <c>Labeling__LeaseSeconds</c>).</summary>
internal sealed class LeaseOptions
{
    public const string SectionName = "Labeling";

    /// <summary>How long an annotator holds an item before it goes back to the queue.</summary>
    [Range(5, 86_400)]
    public int LeaseSeconds { get; set; } = 300;

    /// <summary>
    /// Items one annotator may hold at once: more than one lets the web app fetch the next item while the current one
    /// is being labeled; past the limit, asking again re-serves the oldest held item instead of hoarding new ones.
    /// </summary>
    [Range(1, 20)]
    public int MaxLeasesPerAnnotator { get; set; } = 3;

    /// <summary>
    /// Candidates read at once into the per-project queue that get-next serves from (<see cref="CandidateQueue"/>):
    /// larger batches cost the database less per item served; each is read in rank order, so ranking is kept.
    /// </summary>
    [Range(1, 1000)]
    public int CandidateBatch { get; set; } = 64;

    /// <summary>
    /// How long a read batch of candidates is served from before it is read again, so that items whose lease expired,
    /// or that another replica released, come back at their rank within this time.
    /// </summary>
    [Range(0, 60_000)]
    public int CandidateMaxAgeMs { get; set; } = 1000;
}
