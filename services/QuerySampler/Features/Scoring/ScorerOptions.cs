using System.ComponentModel.DataAnnotations;
using ActiveLabel.Scoring;

namespace ActiveLabel.QuerySampler.Features.Scoring;

/// <summary>The Scorer's limits (configuration section <c>Scorer</c>), validated at start-up.</summary>
internal sealed class ScorerOptions
{
    public const string SectionName = "Scorer";

    /// <summary>Largest request message accepted; larger ones get RESOURCE_EXHAUSTED before they are read.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = GrpcFraming.DefaultMaxMessageBytes;

    /// <summary>Most items (ids plus raw items) in one request; more get INVALID_ARGUMENT.</summary>
    [Range(1, 100_000)]
    public int MaxItemsPerRequest { get; set; } = 1000;

    /// <summary>How many deserialized models stay in memory (one per project and version).</summary>
    [Range(1, 1000)]
    public int CachedModels { get; set; } = 16;
}
