namespace ActiveLabel.Learning;

/// <summary>One item picked by a query strategy.</summary>
/// <param name="ItemIndex">Row of the pool <see cref="FeatureMatrix"/>.</param>
/// <param name="Score">The strategy's score in [0, 1]: higher means more worth labeling.</param>
/// <param name="Rank">0 for the first item to label, then 1, 2, ...</param>
public readonly record struct RankedItem(int ItemIndex, double Score, int Rank);

/// <summary>What a query strategy looks at.</summary>
public sealed record QueryContext
{
    /// <summary>The featurized unlabeled pool.</summary>
    public required FeatureMatrix Pool { get; init; }

    /// <summary>The current model; null before the first model exists (cold start).</summary>
    public Classifier? Model { get; init; }

    /// <summary>Pool rows eligible for selection; null means every row.</summary>
    public int[]? Candidates { get; init; }

    /// <summary>Features of the labeled items, needed by the committee strategies (which train their own members).</summary>
    public FeatureMatrix? Labeled { get; init; }

    /// <summary>Rows of <see cref="Labeled"/> that are labeled; null means every row.</summary>
    public int[]? LabeledRows { get; init; }

    /// <summary>Class index of each labeled row, aligned with <see cref="LabeledRows"/> (or with the rows of <see cref="Labeled"/>).</summary>
    public int[]? LabeledClasses { get; init; }

    /// <summary>How committee members are trained (the project's options).</summary>
    public TrainingOptions Training { get; init; } = new();

    /// <summary>Seed for random choices (random sampling, bootstraps, cold start).</summary>
    public int Seed { get; init; }

    internal int CandidateCount => Candidates?.Length ?? Pool.RowCount;

    internal int CandidateRow(int i) => Candidates is null ? i : Candidates[i];
}

/// <summary>Picks the next batch of items to label from a pool.</summary>
public interface IQueryStrategy
{
    /// <summary>The registry name, e.g. "entropy".</summary>
    string Name { get; }

    /// <summary>Up to <paramref name="count"/> distinct candidates, best first.</summary>
    IReadOnlyList<RankedItem> Rank(QueryContext context, int count);
}
