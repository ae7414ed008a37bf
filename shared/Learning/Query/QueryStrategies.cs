namespace ActiveLabel.Learning;

/// <summary>
/// The query strategies by name. Every strategy returns items best first with a score in [0, 1]; strategies that need
/// a model fall back to the cold-start diversity sample when <see cref="QueryContext.Model"/> is null.
/// </summary>
public static class QueryStrategies
{
    /// <summary>Uniform random sampling (seeded).</summary>
    public const string Random = "random";

    /// <summary>Least confidence: 1 − p(1), scaled to [0, 1].</summary>
    public const string LeastConfidence = "least_confidence";

    /// <summary>Smallest margin: 1 − (p(1) − p(2)).</summary>
    public const string SmallestMargin = "smallest_margin";

    /// <summary>Greatest entropy, divided by log(number of classes).</summary>
    public const string Entropy = "entropy";

    /// <summary>Query by a bagged committee of five: entropy of the members' votes.</summary>
    public const string CommitteeVoteEntropy = "committee_vote_entropy";

    /// <summary>Query by a bagged committee of five: mean KL divergence of members from the consensus.</summary>
    public const string CommitteeKl = "committee_kl";

    /// <summary>Most uncertain candidates spread over the feature space (k-center greedy on cosine distance).</summary>
    public const string Diversity = "diversity";

    /// <summary>Entropy weighted by similarity to the pool (representativeness).</summary>
    public const string DensityWeighted = "density_weighted";

    private static readonly Dictionary<string, IQueryStrategy> Registry = new IQueryStrategy[]
    {
        new RandomStrategy(),
        new UncertaintyStrategy(LeastConfidence, Uncertainty.LeastConfidence),
        new UncertaintyStrategy(SmallestMargin, Uncertainty.Margin),
        new UncertaintyStrategy(Entropy, Uncertainty.Entropy),
        new CommitteeStrategy(CommitteeVoteEntropy, useKl: false),
        new CommitteeStrategy(CommitteeKl, useKl: true),
        new DiversityStrategy(),
        new DensityWeightedStrategy(),
    }.ToDictionary(s => s.Name, StringComparer.Ordinal);

    /// <summary>All strategy names.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Registry.Keys];

    /// <summary>The strategy of this name.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static IQueryStrategy Get(string name) =>
        TryGet(name, out var strategy)
            ? strategy
            : throw new ArgumentException($"Unknown query strategy '{name}'. Known strategies: {string.Join(", ", Names)}.", nameof(name));

    /// <summary>The strategy of this name, if there is one.</summary>
    public static bool TryGet(string name, out IQueryStrategy strategy) => Registry.TryGetValue(name, out strategy!);
}
