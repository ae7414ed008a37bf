namespace ActiveLabel.Learning;

/// <summary>
/// Estimates how well a project's model will do on items it has not seen: a stratified held-out split, or stratified
/// k-fold cross-validation (every item predicted once by a model that did not see it) when labels are few.
/// The featurizer is fitted on the training part only, as it would be in production.
/// </summary>
public static class ModelEvaluator
{
    /// <summary>Below this many labeled items <see cref="Evaluate"/> cross-validates instead of holding out.</summary>
    public const int CrossValidationBelow = 1000;

    /// <summary>Cross-validates (5 folds) below <see cref="CrossValidationBelow"/> labeled items, else holds out 20%.</summary>
    public static EvaluationResult Evaluate(FeatureSchema schema, ItemTable items, IReadOnlyList<string> labels, TrainingOptions? options = null, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(items);
        return items.RowCount < CrossValidationBelow
            ? CrossValidate(schema, items, labels, options, 5, seed)
            : HoldOut(schema, items, labels, options, 0.2, seed);
    }

    /// <summary>Trains on a stratified (1 − <paramref name="testFraction"/>) share and evaluates on the rest.</summary>
    public static EvaluationResult HoldOut(FeatureSchema schema, ItemTable items, IReadOnlyList<string> labels, TrainingOptions? options = null, double testFraction = 0.2, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(labels);
        if (testFraction is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), "The test fraction must be between 0 and 1.");
        }

        var (classes, y) = Encode(labels);
        var test = Splits.StratifiedTestRows(y, classes.Length, testFraction, seed);
        var isTest = new bool[y.Length];
        foreach (var row in test)
        {
            isTest[row] = true;
        }

        var train = Enumerable.Range(0, y.Length).Where(i => !isTest[i]).ToArray();
        var probabilities = TrainAndPredict(schema, items, labels, classes, train, test, options);
        return Metrics.Evaluate([.. test.Select(i => y[i])], probabilities, classes);
    }

    /// <summary>Stratified k-fold cross-validation; metrics over the pooled out-of-fold predictions.</summary>
    public static EvaluationResult CrossValidate(FeatureSchema schema, ItemTable items, IReadOnlyList<string> labels, TrainingOptions? options = null, int folds = 5, int seed = 0) =>
        CrossValidate(schema, items, labels, scoredRows: null, options, folds, seed);

    /// <summary>
    /// Cross-validation in which every fold trains on all other rows but only <paramref name="scoredRows"/> are
    /// predicted and scored. Active learning labels the items its model finds hardest, so metrics over those are
    /// biased low; scoring only a random sample (a project's seed labels) estimates the model on the whole pool.
    /// </summary>
    public static EvaluationResult CrossValidate(
        FeatureSchema schema, ItemTable items, IReadOnlyList<string> labels, IReadOnlyCollection<int>? scoredRows, TrainingOptions? options = null, int folds = 5, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(labels);
        var (classes, y) = Encode(labels);
        var fold = Splits.StratifiedFolds(y, classes.Length, folds, seed);
        var scored = scoredRows is null ? null : new HashSet<int>(scoredRows);
        var probabilities = new float[y.Length * classes.Length];
        for (var f = 0; f < folds; f++)
        {
            var test = Enumerable.Range(0, y.Length).Where(i => fold[i] == f && (scored is null || scored.Contains(i))).ToArray();
            var train = Enumerable.Range(0, y.Length).Where(i => fold[i] != f).ToArray();
            if (test.Length == 0)
            {
                continue;
            }

            var foldProbabilities = TrainAndPredict(schema, items, labels, classes, train, test, options);
            for (var t = 0; t < test.Length; t++)
            {
                foldProbabilities.AsSpan(t * classes.Length, classes.Length).CopyTo(probabilities.AsSpan(test[t] * classes.Length));
            }
        }

        if (scored is null)
        {
            return Metrics.Evaluate(y, probabilities, classes);
        }

        var rows = scored.Order().ToArray();
        var scoredProbabilities = new float[rows.Length * classes.Length];
        for (var r = 0; r < rows.Length; r++)
        {
            probabilities.AsSpan(rows[r] * classes.Length, classes.Length).CopyTo(scoredProbabilities.AsSpan(r * classes.Length));
        }

        return Metrics.Evaluate([.. rows.Select(i => y[i])], scoredProbabilities, classes);
    }

    private static (string[] Classes, int[] Y) Encode(IReadOnlyList<string> labels)
    {
        var classes = labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2)
        {
            throw new DataFormatException("Evaluation needs labeled examples of at least two classes.");
        }

        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        return (classes, [.. labels.Select(l => index[l])]);
    }

    private static float[] TrainAndPredict(FeatureSchema schema, ItemTable items, IReadOnlyList<string> labels, string[] classes, int[] train, int[] test, TrainingOptions? options)
    {
        options ??= new TrainingOptions();
        var trainItems = items.SelectRows(train);
        var featurizer = Featurizer.Fit(schema, trainItems, options.Text);
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        var y = train.Select(i => index[labels[i]]).ToArray();
        var model = Classifier.Fit(featurizer.Transform(trainItems), y, classes.Length, options);
        return model.PredictProba(featurizer.Transform(items.SelectRows(test)));
    }
}

/// <summary>Seeded, stratified splits shared by evaluation and the simulator.</summary>
public static class Splits
{
    /// <summary>
    /// Rows for the test part: within each class, a seeded shuffle and the first round(fraction × class size) rows
    /// (at least one when the class has two or more). Sorted ascending.
    /// </summary>
    public static int[] StratifiedTestRows(ReadOnlySpan<int> classes, int classCount, double fraction, int seed)
    {
        var byClass = GroupByClass(classes, classCount);
        var random = new Random(seed);
        var test = new List<int>();
        foreach (var rows in byClass)
        {
            random.Shuffle(rows);
            var take = (int)Math.Round(fraction * rows.Length);
            take = rows.Length >= 2 ? Math.Clamp(take, 1, rows.Length - 1) : 0;
            test.AddRange(rows.Take(take));
        }

        test.Sort();
        return [.. test];
    }

    /// <summary>Fold number (0..folds-1) per row: each class dealt round-robin over the folds after a seeded shuffle.</summary>
    public static int[] StratifiedFolds(ReadOnlySpan<int> classes, int classCount, int folds, int seed)
    {
        if (folds < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(folds), "Cross-validation needs at least two folds.");
        }

        var fold = new int[classes.Length];
        var random = new Random(seed);
        var next = 0;
        foreach (var rows in GroupByClass(classes, classCount))
        {
            random.Shuffle(rows);
            foreach (var row in rows)
            {
                fold[row] = next++ % folds;
            }
        }

        return fold;
    }

    private static int[][] GroupByClass(ReadOnlySpan<int> classes, int classCount)
    {
        var lists = Enumerable.Range(0, classCount).Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < classes.Length; i++)
        {
            lists[classes[i]].Add(i);
        }

        return [.. lists.Select(l => l.ToArray())];
    }
}
