namespace ActiveLabel.Learning.Tests;

public sealed class MetricsTests
{
    [Theory]
    [InlineData(new[] { 0.1, 0.4, 0.35, 0.8 }, new[] { false, false, true, true }, 0.75)]
    [InlineData(new[] { 0.5, 0.5, 0.5, 0.9 }, new[] { false, true, false, true }, 0.75)]
    [InlineData(new[] { 0.3, 0.3, 0.3, 0.3 }, new[] { true, false, true, false }, 0.5)]
    [InlineData(new[] { 0.9, 0.8, 0.2, 0.1 }, new[] { false, false, true, true }, 0.0)]
    [InlineData(new[] { 0.2, 0.6, 0.6, 0.7, 0.1 }, new[] { false, true, false, true, true }, 3.5 / 6)]
    public void Should_compute_roc_auc_of_hand_worked_examples_with_ties(double[] scores, bool[] positive, double expected)
    {
        Assert.Equal(expected, Metrics.RocAuc(positive, scores), 12);
    }

    [Fact]
    public void Should_refuse_roc_auc_when_only_one_class_is_present()
    {
        Assert.Throws<ArgumentException>(() => Metrics.RocAuc([true, true], [0.1, 0.2]));
    }

    [Fact]
    public void Should_average_one_vs_rest_auc_over_classes_for_multiclass()
    {
        // Class 0 and 1 perfectly separated (AUC 1); class 2's scores rank one positive below one negative (AUC 0.75).
        int[] actual = [0, 1, 2, 2];
        float[] probabilities =
        [
            0.8f, 0.1f, 0.1f,
            0.1f, 0.8f, 0.1f,
            0.1f, 0.5f, 0.4f,
            0.2f, 0.1f, 0.7f,
        ];

        var auc = Metrics.RocAuc(actual, probabilities, 3);

        // Class 2: positives 0.4, 0.7 vs negatives 0.1, 0.1 -> 1.0; class 1: positive 0.8 vs 0.1, 0.5, 0.1 -> 1.0;
        // class 0: 0.8 vs 0.1, 0.1, 0.2 -> 1.0.
        Assert.Equal(1.0, auc!.Value, 12);
        probabilities[(2 * 3) + 2] = 0.05f;
        Assert.Equal((1.0 + 1.0 + 0.5) / 3, Metrics.RocAuc(actual, probabilities, 3)!.Value, 6);
    }

    [Fact]
    public void Should_compute_macro_f1_as_scikit_learn_does()
    {
        // The example of scikit-learn's f1_score documentation: macro F1 = 0.2666...
        int[] actual = [0, 1, 2, 0, 1, 2];
        int[] predicted = [0, 2, 1, 0, 0, 1];

        Assert.Equal(0.26666666666666666, Metrics.MacroF1(actual, predicted, 3), 12);
        Assert.Equal(2.0 / 6, Metrics.Accuracy(actual, predicted), 12);
        Assert.Equal([[2, 0, 0], [1, 0, 1], [0, 2, 0]], Metrics.ConfusionMatrix(actual, predicted, 3));
    }

    [Fact]
    public void Should_compute_log_loss_as_scikit_learn_does()
    {
        // scikit-learn's log_loss documentation example: 0.21616...
        int[] actual = [1, 0, 0, 1];
        float[] probabilities = [0.1f, 0.9f, 0.9f, 0.1f, 0.8f, 0.2f, 0.35f, 0.65f];

        Assert.Equal(0.21616187468057912, Metrics.LogLoss(actual, probabilities, 2), 6);
    }

    [Fact]
    public void Should_predict_every_item_once_when_cross_validating_a_small_labeled_set()
    {
        var lines = File.ReadAllLines(Path.Combine(TestData.DatasetsFolder, "wine-quality", "wine.csv")).Where(l => l.Length > 0).Select(l => l.Split(',')).ToArray();
        var columns = Enumerable.Range(1, 13).Select(i => $"c{i}").ToArray();
        var table = new ItemTable(columns.Select((c, j) => (c, j)).ToDictionary(p => p.c, p => (IReadOnlyList<string?>)[.. lines.Select(l => l[p.j])]));
        var labels = lines.Select(l => l[13]).ToArray();

        var result = ModelEvaluator.Evaluate(FeatureSchema.Numeric(columns), table, labels);

        Assert.Equal(178, result.Count);
        Assert.Equal(178, result.ConfusionMatrix.Sum(row => row.Sum()));
        Assert.True(result.Accuracy > 0.95, $"accuracy {result.Accuracy}");
        Assert.True(result.RocAuc > 0.99, $"AUC {result.RocAuc}");
    }

    [Fact]
    public void Should_score_only_the_chosen_rows_when_cross_validating_on_a_sample()
    {
        var lines = File.ReadAllLines(Path.Combine(TestData.DatasetsFolder, "wine-quality", "wine.csv")).Where(l => l.Length > 0).Select(l => l.Split(',')).ToArray();
        var columns = Enumerable.Range(1, 13).Select(i => $"c{i}").ToArray();
        var table = new ItemTable(columns.Select((c, j) => (c, j)).ToDictionary(p => p.c, p => (IReadOnlyList<string?>)[.. lines.Select(l => l[p.j])]));
        var labels = lines.Select(l => l[13]).ToArray();
        var sample = Enumerable.Range(0, labels.Length).Where(i => i % 3 == 0).ToArray();

        var result = ModelEvaluator.CrossValidate(FeatureSchema.Numeric(columns), table, labels, sample);

        Assert.Equal(sample.Length, result.Count);
        Assert.Equal(sample.Length, result.ConfusionMatrix.Sum(row => row.Sum()));
        // Each class's row of the confusion matrix counts exactly the sampled items of that class.
        for (var c = 0; c < result.Classes.Count; c++)
        {
            Assert.Equal(sample.Count(i => labels[i] == result.Classes[c]), result.ConfusionMatrix[c].Sum());
        }

        Assert.True(result.Accuracy > 0.9, $"accuracy {result.Accuracy}");
    }

    [Fact]
    public void Should_hold_out_a_stratified_fifth_of_a_large_labeled_set()
    {
        var (texts, labels) = TestData.Clickbait;
        var order = TestData.Permutation(texts.Length, 5)[..4000];

        var result = ModelEvaluator.Evaluate(FeatureSchema.Text(), ItemTable.FromTexts([.. order.Select(i => texts[i])]), [.. order.Select(i => labels[i])]);

        Assert.Equal(800, result.Count);
        Assert.True(result.Accuracy > 0.9, $"accuracy {result.Accuracy}");
        Assert.InRange(result.LogLoss, 0.01, 0.4);
    }

    [Fact]
    public void Should_signal_stop_once_successive_models_agree()
    {
        var monitor = new StoppingMonitor(window: 2, threshold: 0.99);

        monitor.Observe([0, 1, 1, 0, 1, 0]);
        monitor.Observe([0, 1, 0, 0, 1, 1]);
        Assert.False(monitor.ShouldStop);
        monitor.Observe([0, 1, 0, 0, 1, 1]);
        Assert.False(monitor.ShouldStop);
        monitor.Observe([0, 1, 0, 0, 1, 1]);

        Assert.True(monitor.ShouldStop);
        Assert.Equal(1.0, monitor.LastAgreement);
    }

    [Fact]
    public void Should_compute_cohens_kappa_of_a_hand_worked_example()
    {
        // Observed agreement 4/6; both say class 1 half the time, so chance agreement 1/2; kappa (2/3 - 1/2) / (1/2) = 1/3.
        Assert.Equal(1.0 / 3, StoppingMonitor.CohensKappa([0, 1, 1, 0, 1, 0], [0, 1, 0, 0, 1, 1]), 12);
    }
}
