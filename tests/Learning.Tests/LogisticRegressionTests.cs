namespace ActiveLabel.Learning.Tests;

public sealed class LogisticRegressionTests
{
    private static readonly double[][] Separable =
        [[0.0, 1.0], [1.0, 2.0], [2.0, 0.5], [3.0, 3.0], [-1.0, 0.0], [0.5, -1.0], [4.0, 1.0], [2.5, 2.0]];

    private static readonly int[] SeparableLabels = [0, 0, 0, 1, 0, 0, 1, 1];

    private static readonly double[][] Noisy =
    [
        [1.764, 0.4, 0.979], [2.241, 1.868, -0.977], [0.95, -0.151, -0.103], [0.411, 0.144, 1.454], [0.761, 0.122, 0.444],
        [0.334, 1.494, -0.205], [0.313, -0.854, -2.553], [0.654, 0.864, -0.742], [2.27, -1.454, 0.046], [-0.187, 1.533, 1.469],
        [0.155, 0.378, -0.888], [-1.981, -0.348, 0.156], [1.23, 1.202, -0.387], [-0.302, -1.049, -1.42], [-1.706, 1.951, -0.51],
        [-0.438, -1.253, 0.777], [-1.614, -0.213, -0.895], [0.387, -0.511, -1.181], [-0.028, 0.428, 0.067], [0.302, -0.634, -0.363],
        [-0.672, -0.36, -0.813], [-1.726, 0.177, -0.402], [-1.63, 0.463, -0.907], [0.052, 0.729, 0.129], [1.139, -1.235, 0.402],
        [-0.685, -0.871, -0.579], [-0.312, 0.056, -1.165], [0.901, 0.466, -1.536], [1.488, 1.896, 1.179], [-0.18, -1.071, 1.054],
        [-0.403, 1.222, 0.208], [0.977, 0.356, 0.707], [0.011, 1.786, 0.127], [0.402, 1.883, -1.348], [-1.27, 0.969, -1.173],
        [1.944, -0.414, -0.747], [1.923, 1.481, 1.868], [0.906, -0.861, 1.91], [-0.268, 0.802, 0.947], [-0.155, 0.614, 0.922],
    ];

    private static readonly int[] NoisyLabels =
        [1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0];

    private static readonly TrainingOptions Exact = new() { Tolerance = 1e-12, MaxIterations = 1000 };

    private static FeatureMatrix Matrix(double[][] rows) => FeatureMatrix.FromDense(rows);

    private static TrainingSet AllRows(FeatureMatrix x) => new(x, Enumerable.Range(0, x.RowCount).ToArray());

    [Fact]
    public void Should_compute_the_binary_gradient_and_hessian_that_finite_differences_give()
    {
        var data = AllRows(Matrix(Noisy));
        var target = NoisyLabels.Select(l => (double)l).ToArray();
        var weights = Enumerable.Repeat(1.0, Noisy.Length).Select((w, i) => i % 3 == 0 ? 2.0 : w).ToArray();
        double[] w = [0.3, -0.7, 0.2, 0.1];
        const double h = 1e-6;

        var gradient = LogisticRegressionSolver.Gradient(data, target, weights, 0.5, w);
        var hessianTimesE0 = LogisticRegressionSolver.HessianTimes(data, target, weights, 0.5, w, [1, 0, 0, 0]);

        for (var j = 0; j < w.Length; j++)
        {
            var plus = (double[])w.Clone();
            var minus = (double[])w.Clone();
            plus[j] += h;
            minus[j] -= h;
            var numeric = (LogisticRegressionSolver.Objective(data, target, weights, 0.5, plus)
                - LogisticRegressionSolver.Objective(data, target, weights, 0.5, minus)) / (2 * h);
            Assert.Equal(numeric, gradient[j], 5);
            var numericHessian = (LogisticRegressionSolver.Gradient(data, target, weights, 0.5, plus)[0]
                - LogisticRegressionSolver.Gradient(data, target, weights, 0.5, minus)[0]) / (2 * h);
            Assert.Equal(numericHessian, hessianTimesE0[j], 4);
        }
    }

    [Fact]
    public void Should_compute_the_multinomial_gradient_that_finite_differences_give()
    {
        var data = AllRows(Matrix(Noisy));
        var labels = Enumerable.Range(0, Noisy.Length).Select(i => i % 3).ToArray();
        var weights = Enumerable.Repeat(1.0, Noisy.Length).ToArray();
        var x = Enumerable.Range(0, 12).Select(i => Math.Sin(i) * 0.3).ToArray();
        var gradient = new double[x.Length];
        var z = new double[Noisy.Length * 3];
        var r = new double[Noisy.Length * 3];
        LogisticRegressionSolver.MultinomialObjective(data, labels, 3, weights, 2.0, x, gradient, z, r);
        const double h = 1e-6;

        for (var j = 0; j < x.Length; j++)
        {
            var plus = (double[])x.Clone();
            var minus = (double[])x.Clone();
            plus[j] += h;
            minus[j] -= h;
            var scratch = new double[x.Length];
            var numeric = (LogisticRegressionSolver.MultinomialObjective(data, labels, 3, weights, 2.0, plus, scratch, z, r)
                - LogisticRegressionSolver.MultinomialObjective(data, labels, 3, weights, 2.0, minus, scratch, z, r)) / (2 * h);
            Assert.Equal(numeric, gradient[j], 5);
        }
    }

    // Optima of C·Σ loss + ½‖w‖² (C = 1) found by SciPy's BFGS to a gradient below 1e-8; scikit-learn 1.2.1's
    // LogisticRegression(tol=1e-12) stops about 1e-5 short of them (bias -3.368989 on the separable set).
    [Theory]
    [InlineData("separable", 1.1033915970539931, 0.6084827606623913, 0.0, -3.3690032565111885)]
    [InlineData("noisy", 2.1671425859141396, -1.5430385133794848, 0.13675621482131492, 0.3844598569368177)]
    public void Should_reach_the_known_optimum_of_a_binary_problem(string set, double w0, double w1, double w2, double bias)
    {
        var (rows, labels) = set == "separable" ? (Separable, SeparableLabels) : (Noisy, NoisyLabels);

        var model = Classifier.Fit(Matrix(rows), labels, 2, Exact);

        // Weights are stored in single precision and the features of the noisy set are single-precision roundings.
        Assert.Equal(w0, model.Weights[0], 5);
        Assert.Equal(w1, model.Weights[1], 5);
        if (rows[0].Length > 2)
        {
            Assert.Equal(w2, model.Weights[2], 5);
        }

        Assert.Equal(bias, model.Bias[0], 5);
    }

    [Fact]
    public void Should_reach_the_known_optimum_of_a_multinomial_problem()
    {
        // Multinomial optimum with C = 0.5 on the noisy features, labels (i mod 10) mod 3, from SciPy's BFGS (gradient
        // below 1e-7); scikit-learn 1.2.1's LogisticRegression(C=0.5) agrees to about 1e-5.
        double[][] coefficients =
        [
            [-0.09499437761653164, -0.033611239327669976, 0.03883147302627118],
            [-0.05851643679818675, 0.02374344146893283, -0.10869420033858794],
            [0.153510814414717, 0.009867797858737834, 0.06986272731231706],
        ];
        double[] intercepts = [0.23155397179093654, -0.10009065367218796, -0.1314633181187536];
        var labels = Enumerable.Range(0, Noisy.Length).Select(i => i % 10 % 3).ToArray();

        var model = Classifier.Fit(Matrix(Noisy), labels, 3, Exact with { C = 0.5 });

        for (var k = 0; k < 3; k++)
        {
            for (var j = 0; j < 3; j++)
            {
                Assert.Equal(coefficients[k][j], model.Weights[(j * 3) + k], 5);
            }

            Assert.Equal(intercepts[k], model.Bias[k], 5);
        }
    }

    [Fact]
    public void Should_give_probabilities_that_sum_to_one()
    {
        var labels = Enumerable.Range(0, Noisy.Length).Select(i => i % 4).ToArray();
        var x = Matrix(Noisy);
        var multinomial = Classifier.Fit(x, labels, 4, new TrainingOptions());
        var binary = Classifier.Fit(x, NoisyLabels, 2, new TrainingOptions());

        foreach (var model in new[] { multinomial, binary })
        {
            var probabilities = model.PredictProba(x);
            for (var row = 0; row < x.RowCount; row++)
            {
                var sum = 0.0;
                for (var k = 0; k < model.ClassCount; k++)
                {
                    Assert.InRange(probabilities[(row * model.ClassCount) + k], 0f, 1f);
                    sum += probabilities[(row * model.ClassCount) + k];
                }

                Assert.Equal(1.0, sum, 5);
            }
        }
    }

    [Fact]
    public void Should_give_zero_probability_to_a_class_with_no_training_example()
    {
        var labels = NoisyLabels.Select(l => l * 2).ToArray();
        var x = Matrix(Noisy);

        var model = Classifier.Fit(x, labels, 3, new TrainingOptions());

        Span<double> p = stackalloc double[3];
        model.PredictProba(x, 0, p);
        Assert.Equal(0.0, p[1], 10);
        Assert.Equal(1.0, p[0] + p[2], 10);
    }

    [Fact]
    public void Should_train_bit_for_bit_identical_models_from_the_same_data()
    {
        var (texts, labels) = TestData.Clickbait;
        var order = TestData.Permutation(texts.Length, 7)[..20_000];
        var sample = order.Select(i => texts[i]).ToArray();
        var sampleLabels = order.Select(i => labels[i]).ToArray();

        var first = ProjectModel.TrainText(sample, sampleLabels).Serialize();
        var second = ProjectModel.TrainText(sample, sampleLabels).Serialize();

        Assert.Equal(first, second);
    }

    [Fact]
    public void Should_recall_more_of_a_rare_class_with_balanced_class_weights()
    {
        // 1 positive in 10: unweighted, the model leans to the majority.
        var rows = Enumerable.Range(0, 400).Select(i => new[] { Math.Sin(i * 1.7) + (i % 10 == 0 ? 0.8 : 0.0), Math.Cos(i * 0.3) }).ToArray();
        var labels = Enumerable.Range(0, 400).Select(i => i % 10 == 0 ? 1 : 0).ToArray();
        var x = FeatureMatrix.FromDense(rows);

        int Recall(TrainingOptions options)
        {
            var model = Classifier.Fit(x, labels, 2, options);
            return Enumerable.Range(0, 400).Count(i => labels[i] == 1 && model.Predict(x, i) == 1);
        }

        Assert.True(Recall(new TrainingOptions { BalancedClassWeights = true }) > Recall(new TrainingOptions()));
    }

    [Fact]
    public void Should_match_scikit_learn_multinomial_naive_bayes_probabilities()
    {
        double[][] counts = [[2, 1, 0, 0], [3, 0, 1, 0], [0, 0, 2, 3], [0, 1, 1, 4], [1, 1, 1, 1]];
        var model = Classifier.Fit(Matrix(counts), [0, 0, 1, 1, 0], 2, new TrainingOptions { Kind = ModelKind.NaiveBayes });
        var query = Matrix([[1, 0, 0, 2], [0, 3, 0, 0]]);
        Span<double> p = stackalloc double[2];

        model.PredictProba(query, 0, p);
        Assert.Equal(0.3962264150943396, p[0], 5);
        model.PredictProba(query, 1, p);
        Assert.Equal(0.8350515463917522, p[0], 5);
    }

    [Fact]
    public void Should_reach_full_data_accuracy_on_wine_color()
    {
        var (header, rows) = TestData.WineColor();
        var features = header.Take(11).ToArray();
        var order = TestData.Permutation(rows.Length, 1);
        var split = rows.Length * 4 / 5;
        ItemTable Table(IEnumerable<int> idx) =>
            new(features.Select((f, j) => (f, j)).ToDictionary(p => p.f, p => (IReadOnlyList<string?>)[.. idx.Select(i => rows[i][p.j])]));
        var train = order[..split];
        var test = order[split..];

        var model = ProjectModel.Train(FeatureSchema.Numeric(features), Table(train), [.. train.Select(i => rows[i][12])]);
        var probabilities = model.PredictProba(Table(test));

        var correct = test.Select((i, r) => model.Classes[probabilities[(r * 2) + 1] > 0.5f ? 1 : 0] == rows[i][12]).Count(ok => ok);
        Assert.True(correct / (double)test.Length > 0.985, $"accuracy {correct / (double)test.Length}");
    }
}
