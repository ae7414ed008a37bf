namespace ActiveLabel.Learning;

/// <summary>A labeled dataset to replay active learning on: the file's labels play the annotator.</summary>
/// <param name="Schema">Which columns are features.</param>
/// <param name="Items">The items.</param>
/// <param name="Labels">One label per item.</param>
public sealed record SimulationDataset(FeatureSchema Schema, ItemTable Items, IReadOnlyList<string> Labels);

/// <summary>How an active-learning replay runs.</summary>
public sealed record SimulationOptions
{
    /// <summary>Strategies to compare (names from <see cref="QueryStrategies"/>); "random" is always added as the baseline.</summary>
    public IReadOnlyList<string> Strategies { get; init; } = [QueryStrategies.Entropy];

    /// <summary>Randomly drawn labels before the first model (the same seed set for every strategy within a repeat).</summary>
    public int SeedSize { get; init; } = 10;

    /// <summary>Items labeled per round.</summary>
    public int BatchSize { get; init; } = 10;

    /// <summary>Total labels (seed included) at which a run stops; capped at the pool size.</summary>
    public int Budget { get; init; } = 500;

    /// <summary>Independent replays with different splits and seed sets.</summary>
    public int Repeats { get; init; } = 3;

    /// <summary>Share of items held out (stratified) to measure each model.</summary>
    public double TestFraction { get; init; } = 0.2;

    /// <summary>How each round's model is trained.</summary>
    public TrainingOptions Training { get; init; } = new();

    /// <summary>Base seed; repeat r uses seed + r for its split and seed set.</summary>
    public int Seed { get; init; }

    /// <summary>The strategies actually run: random first, then the others without repeats.</summary>
    public IReadOnlyList<string> EffectiveStrategies =>
        [QueryStrategies.Random, .. Strategies.Where(s => s != QueryStrategies.Random).Distinct(StringComparer.Ordinal)];
}

/// <summary>A model's quality after a number of labels.</summary>
/// <param name="Labels">Labels used to train.</param>
/// <param name="Accuracy">Test accuracy.</param>
/// <param name="MacroF1">Test macro-F1.</param>
/// <param name="RocAuc">Test ROC AUC (macro one-vs-rest for several classes); null when the test set has one class.</param>
public sealed record CurvePoint(int Labels, double Accuracy, double MacroF1, double? RocAuc);

/// <summary>One strategy's learning curve in one repeat.</summary>
/// <param name="Strategy">The strategy name.</param>
/// <param name="Repeat">The repeat number, from 0.</param>
/// <param name="Points">The curve, one point per round.</param>
public sealed record StrategyRun(string Strategy, int Repeat, IReadOnlyList<CurvePoint> Points);

/// <summary>The split of one repeat, as dataset row numbers, so another tool can replay the same experiment.</summary>
/// <param name="Repeat">The repeat number.</param>
/// <param name="TestRows">Held-out rows.</param>
/// <param name="SeedRows">The initial labeled rows.</param>
/// <param name="FullData">Quality of a model trained on every non-test row.</param>
public sealed record RepeatSplit(int Repeat, IReadOnlyList<int> TestRows, IReadOnlyList<int> SeedRows, CurvePoint FullData);

/// <summary>Everything a replay measured.</summary>
/// <param name="Classes">The class labels.</param>
/// <param name="Options">The options it ran with.</param>
/// <param name="Runs">Every strategy × repeat curve.</param>
/// <param name="Splits">Every repeat's split and full-data quality.</param>
public sealed record SimulationResult(IReadOnlyList<string> Classes, SimulationOptions Options, IReadOnlyList<StrategyRun> Runs, IReadOnlyList<RepeatSplit> Splits);
