using System.ComponentModel.DataAnnotations;

namespace ActiveLabel.Labeling.Features.ModelGuess;

/// <summary>Where the QuerySampler's gRPC Scorer is (configuration section <c>Scorer</c>), validated at start-up.</summary>
internal sealed class ScorerClientOptions
{
    public const string SectionName = "Scorer";

    /// <summary>The Scorer's h2c endpoint, e.g. <c>http://localhost:5105</c> (<c>Scorer__Address</c>).</summary>
    [Required]
    public Uri? Address { get; set; }

    /// <summary>How long a guess may take; the labeling UI shows the item without one rather than wait longer.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(2);
}
