namespace ActiveLabel.Learning;

/// <summary>
/// Replays active learning on a fully labeled dataset: per repeat, a stratified test split, a featurizer fitted on
/// the remaining pool (the unlabeled data a real project has), a random seed set, then rounds of train, measure on the
/// test split, and query a batch from the pool, until the budget. Runs (strategy × repeat) execute in parallel and
/// each is deterministic.
/// </summary>
public static class ActiveLearningSimulator
{
    /// <summary>Runs the replay.</summary>
    /// <exception cref="DataFormatException">Fewer than two classes, or too few items for the split and seed set.</exception>
    public static SimulationResult Run(SimulationDataset data, SimulationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        Validate(data, options);
        var strategies = options.EffectiveStrategies.Select(QueryStrategies.Get).ToArray();
        var classes = data.Labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        var y = data.Labels.Select(l => index[l]).ToArray();

        var repeats = new Repeat[options.Repeats];
        Parallel.For(0, options.Repeats, new ParallelOptions { CancellationToken = cancellationToken }, r => repeats[r] = Prepare(data, y, classes, options, r));

        var jobs = repeats.SelectMany(rep => strategies.Select(s => (Repeat: rep, Strategy: s))).ToArray();
        var runs = new StrategyRun[jobs.Length];
        Parallel.For(0, jobs.Length, new ParallelOptions { CancellationToken = cancellationToken }, j =>
            runs[j] = Replay(jobs[j].Repeat, jobs[j].Strategy, classes, options, cancellationToken));

        return new SimulationResult(classes, options, runs, [.. repeats.Select(r => r.Split)]);
    }

    private static void Validate(SimulationDataset data, SimulationOptions options)
    {
        if (data.Items.RowCount != data.Labels.Count)
        {
            throw new ArgumentException("One label per item is needed.");
        }

        var classes = data.Labels.Distinct(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2)
        {
            throw new DataFormatException(classes.Length == 0
                ? "The dataset is empty."
                : $"The label column holds one class only ('{classes[0]}'): active learning needs at least two.");
        }

        if (options.SeedSize < 1 || options.BatchSize < 1 || options.Repeats < 1 || options.Budget < options.SeedSize)
        {
            throw new ArgumentException("Need seed size >= 1, batch >= 1, repeats >= 1 and budget >= seed size.");
        }

        if (options.TestFraction is <= 0 or >= 1)
        {
            throw new ArgumentException("The test fraction must be between 0 and 1.");
        }

        if (data.Items.RowCount * (1 - options.TestFraction) < options.SeedSize + 1)
        {
            throw new DataFormatException($"{data.Items.RowCount} items are too few for a test split of {options.TestFraction:P0} and {options.SeedSize} seed labels.");
        }

        // Numeric and categorical columns are checked on the whole file so that errors name the file's row numbers.
        if (data.Schema.NumericColumns.Count + data.Schema.CategoricalColumns.Count > 0)
        {
            Featurizer.Fit(data.Schema with { TextColumns = [] }, data.Items);
        }

        foreach (var column in data.Schema.TextColumns)
        {
            data.Items.Column(column);
        }
    }

    private sealed record Repeat(int Number, FeatureMatrix Pool, int[] PoolClasses, FeatureMatrix Test, int[] TestClasses, int[] SeedPoolRows, RepeatSplit Split);

    private static Repeat Prepare(SimulationDataset data, int[] y, string[] classes, SimulationOptions options, int repeat)
    {
        var seed = options.Seed + repeat;
        var testRows = Splits.StratifiedTestRows(y, classes.Length, options.TestFraction, seed);
        var isTest = new bool[y.Length];
        foreach (var row in testRows)
        {
            isTest[row] = true;
        }

        var poolRows = Enumerable.Range(0, y.Length).Where(i => !isTest[i]).ToArray();
        var poolItems = data.Items.SelectRows(poolRows);
        var featurizer = Featurizer.Fit(data.Schema, poolItems, options.Training.Text);
        var pool = featurizer.Transform(poolItems);
        var test = featurizer.Transform(data.Items.SelectRows(testRows));
        var poolClasses = poolRows.Select(i => y[i]).ToArray();
        var testClasses = testRows.Select(i => y[i]).ToArray();

        var order = Enumerable.Range(0, poolRows.Length).ToArray();
        new Random(seed).Shuffle(order);
        var seedRows = order[..Math.Min(options.SeedSize, order.Length)];
        var full = Classifier.Fit(pool, poolClasses, classes.Length, options.Training);
        var fullPoint = Measure(full, test, testClasses, classes, poolRows.Length);
        return new Repeat(repeat, pool, poolClasses, test, testClasses, seedRows,
            new RepeatSplit(repeat, testRows, [.. seedRows.Select(r => poolRows[r])], fullPoint));
    }

    private static StrategyRun Replay(Repeat repeat, IQueryStrategy strategy, string[] classes, SimulationOptions options, CancellationToken cancellationToken)
    {
        var budget = Math.Min(options.Budget, repeat.Pool.RowCount);
        var labeled = new List<int>(repeat.SeedPoolRows);
        var isLabeled = new bool[repeat.Pool.RowCount];
        foreach (var row in labeled)
        {
            isLabeled[row] = true;
        }

        var points = new List<CurvePoint>();
        for (var round = 0; ; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var labeledRows = labeled.ToArray();
            var labeledClasses = labeledRows.Select(r => repeat.PoolClasses[r]).ToArray();
            var model = Classifier.Fit(repeat.Pool, labeledRows, labeledClasses, classes.Length, options.Training);
            points.Add(Measure(model, repeat.Test, repeat.TestClasses, classes, labeled.Count));
            if (labeled.Count >= budget)
            {
                break;
            }

            var context = new QueryContext
            {
                Pool = repeat.Pool,
                Model = model,
                Candidates = [.. Enumerable.Range(0, repeat.Pool.RowCount).Where(r => !isLabeled[r])],
                Labeled = repeat.Pool,
                LabeledRows = labeledRows,
                LabeledClasses = labeledClasses,
                Training = options.Training,
                Seed = PoolRanking.StableSeed(options.Seed, repeat.Number, round),
            };
            foreach (var item in strategy.Rank(context, Math.Min(options.BatchSize, budget - labeled.Count)))
            {
                isLabeled[item.ItemIndex] = true;
                labeled.Add(item.ItemIndex);
            }
        }

        return new StrategyRun(strategy.Name, repeat.Number, points);
    }

    private static CurvePoint Measure(Classifier model, FeatureMatrix test, int[] testClasses, string[] classes, int labels)
    {
        var result = Metrics.Evaluate(model, test, testClasses, classes);
        return new CurvePoint(labels, result.Accuracy, result.MacroF1, result.RocAuc);
    }
}
