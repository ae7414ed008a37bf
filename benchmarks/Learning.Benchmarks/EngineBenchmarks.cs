using BenchmarkDotNet.Attributes;

namespace ActiveLabel.Learning.Benchmarks;

/// <summary>
/// The operations the issue compares with scikit-learn + modAL, on the clickbait pool (25,600 headlines):
/// featurizing, fitting, one active-learning round, and scoring a pre-featurized 1,000,000-item pool; and the
/// diversity strategy's batch from the same pool (the QuerySampler's slowest strategy).
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private const int MillionRows = 1_024_000;

    private ItemTable _poolTable = null!;
    private Featurizer _featurizer = null!;
    private FeatureMatrix _pool = null!;
    private int[] _classes = null!;
    private int[] _labeledRows = null!;
    private int[] _labeledClasses = null!;
    private int[] _candidates = null!;
    private FeatureMatrix _million = null!;
    private Classifier _model = null!;
    private readonly TrainingOptions _options = new();

    [GlobalSetup]
    public void Setup()
    {
        var (texts, classes) = ClickbaitPool.Load();
        _poolTable = ItemTable.FromTexts(texts);
        _featurizer = Featurizer.Fit(FeatureSchema.Text(), _poolTable);
        _pool = _featurizer.Transform(_poolTable);
        _classes = classes;
        var order = Enumerable.Range(0, _pool.RowCount).ToArray();
        new Random(0).Shuffle(order);
        _labeledRows = order[..1000];
        _labeledClasses = [.. _labeledRows.Select(r => classes[r])];
        _candidates = order[1000..];
        _model = Classifier.Fit(_pool, classes, 2, _options);
        _million = Replicate(_pool, MillionRows);
    }

    private static FeatureMatrix Replicate(FeatureMatrix source, int rows)
    {
        var picks = Enumerable.Range(0, rows).Select(i => i % source.RowCount).ToArray();
        return source.SelectRows(picks);
    }

    [Benchmark(Description = "TF-IDF transform of 25,600 headlines")]
    public FeatureMatrix Featurize() => _featurizer.Transform(_poolTable);

    [Benchmark(Description = "Fit logistic regression on 25,600 headlines")]
    public Classifier FitFullPool() => Classifier.Fit(_pool, _classes, 2, _options);

    [Benchmark(Description = "AL round: fit 1,000 labels, score 24,600, pick 100")]
    public IReadOnlyList<RankedItem> ActiveLearningRound()
    {
        var model = Classifier.Fit(_pool, _labeledRows, _labeledClasses, 2, _options);
        var context = new QueryContext { Pool = _pool, Model = model, Candidates = _candidates };
        return QueryStrategies.Get(QueryStrategies.LeastConfidence).Rank(context, 100);
    }

    [Benchmark(Description = "Score 1,024,000 featurized items, pick top 100")]
    public IReadOnlyList<RankedItem> ScoreMillion() =>
        QueryStrategies.Get(QueryStrategies.LeastConfidence).Rank(new QueryContext { Pool = _million, Model = _model }, 100);

    [Benchmark(Description = "Diversity: 2,000 of 1,024,000 items (20,000 shortlisted)")]
    public IReadOnlyList<RankedItem> DiversityMillion() =>
        QueryStrategies.Get(QueryStrategies.Diversity).Rank(new QueryContext { Pool = _million, Model = _model }, 2000);
}
