using System.Runtime.CompilerServices;

namespace ActiveLabel.Learning;

/// <summary>
/// A trained linear classifier over a <see cref="FeatureMatrix"/>: logistic regression or multinomial naive Bayes,
/// both stored as per-feature weights and per-class intercepts in single precision. Immutable and thread-safe.
/// Binary logistic regression keeps one output (sigmoid); every other model keeps one output per class (softmax).
/// </summary>
public sealed class Classifier
{
    // A class absent from the training labels gets this intercept: its probability underflows to zero.
    private const float AbsentClassBias = -1e4f;

    private readonly float[] _weights;
    private readonly float[] _bias;

    private Classifier(ModelKind kind, int classCount, int featureCount, int outputs, float[] weights, float[] bias)
    {
        Kind = kind;
        ClassCount = classCount;
        FeatureCount = featureCount;
        Outputs = outputs;
        _weights = weights;
        _bias = bias;
    }

    /// <summary>The model family.</summary>
    public ModelKind Kind { get; }

    /// <summary>Number of classes; probabilities come in this order.</summary>
    public int ClassCount { get; }

    /// <summary>Length of the feature vectors the model reads.</summary>
    public int FeatureCount { get; }

    internal int Outputs { get; }

    internal ReadOnlySpan<float> Weights => _weights;

    internal ReadOnlySpan<float> Bias => _bias;

    /// <summary>Trains on every row of <paramref name="features"/>; <paramref name="classes"/> holds one class index per row.</summary>
    public static Classifier Fit(FeatureMatrix features, ReadOnlySpan<int> classes, int classCount, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(features);
        var rows = new int[features.RowCount];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = i;
        }

        return Fit(features, rows, classes, classCount, options);
    }

    /// <summary>
    /// Trains on the given rows of <paramref name="features"/>; <paramref name="classes"/>[i] is the class index of
    /// <paramref name="rows"/>[i]. Classes with no example get probability zero; with a single class present the model
    /// is constant. Deterministic: the same inputs give the same weights, whatever the number of cores.
    /// </summary>
    /// <exception cref="ArgumentException">Inputs disagree in length, a class index is out of range, or options are invalid.</exception>
    public static Classifier Fit(FeatureMatrix features, ReadOnlySpan<int> rows, ReadOnlySpan<int> classes, int classCount, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(options);
        if (rows.Length != classes.Length || rows.Length == 0)
        {
            throw new ArgumentException("Need one class per training row, and at least one row.");
        }

        if (classCount < 2)
        {
            throw new ArgumentException("A classifier needs at least two classes.");
        }

        options.Validate(classCount);
        var counts = new int[classCount];
        foreach (var c in classes)
        {
            if ((uint)c >= (uint)classCount)
            {
                throw new ArgumentException($"Class index {c} is outside 0..{classCount - 1}.");
            }

            counts[c]++;
        }

        return options.Kind == ModelKind.NaiveBayes
            ? FitNaiveBayes(features, rows, classes, counts, options)
            : FitLogistic(features, rows, classes, counts, options);
    }

    private static Classifier FitLogistic(FeatureMatrix features, ReadOnlySpan<int> rows, ReadOnlySpan<int> classes, int[] counts, TrainingOptions options)
    {
        var classCount = counts.Length;
        var present = Enumerable.Range(0, classCount).Where(c => counts[c] > 0).ToArray();
        var outputs = classCount == 2 ? 1 : classCount;
        var weights = new float[features.ColumnCount * outputs];
        var bias = new float[outputs];
        if (present.Length == 1)
        {
            if (outputs == 1)
            {
                bias[0] = present[0] == 1 ? -AbsentClassBias : AbsentClassBias;
            }
            else
            {
                Array.Fill(bias, AbsentClassBias);
                bias[present[0]] = 0;
            }

            return new Classifier(ModelKind.LogisticRegression, classCount, features.ColumnCount, outputs, weights, bias);
        }

        var local = new int[classCount];
        for (var i = 0; i < present.Length; i++)
        {
            local[present[i]] = i;
        }

        var localClasses = new int[classes.Length];
        var sampleWeights = new double[classes.Length];
        var classWeights = ClassWeights(counts, options);
        for (var i = 0; i < classes.Length; i++)
        {
            localClasses[i] = local[classes[i]];
            sampleWeights[i] = classWeights[classes[i]];
        }

        var data = new TrainingSet(features, rows);
        if (present.Length == 2)
        {
            var (w, b) = LogisticRegressionSolver.FitBinary(data, localClasses, sampleWeights, options);
            if (outputs == 1)
            {
                Scatter(data, w, 0, 1, weights, 0, 1);
                bias[0] = (float)b;
            }
            else
            {
                // Two of several classes: softmax with the first present class pinned at zero is the same model.
                Array.Fill(bias, AbsentClassBias);
                bias[present[0]] = 0;
                bias[present[1]] = (float)b;
                Scatter(data, w, 0, 1, weights, present[1], outputs);
            }
        }
        else
        {
            var x = LogisticRegressionSolver.FitMultinomial(data, localClasses, present.Length, sampleWeights, options);
            Array.Fill(bias, AbsentClassBias);
            for (var k = 0; k < present.Length; k++)
            {
                bias[present[k]] = (float)x[(data.FeatureCount * present.Length) + k];
                Scatter(data, x, k, present.Length, weights, present[k], outputs);
            }
        }

        return new Classifier(ModelKind.LogisticRegression, classCount, features.ColumnCount, outputs, weights, bias);
    }

    private static void Scatter(TrainingSet data, double[] source, int sourceOutput, int sourceStride, float[] target, int targetOutput, int targetStride)
    {
        for (var j = 0; j < data.FeatureCount; j++)
        {
            target[(data.GlobalColumns[j] * targetStride) + targetOutput] = (float)source[(j * sourceStride) + sourceOutput];
        }
    }

    private static double[] ClassWeights(int[] counts, TrainingOptions options)
    {
        if (options.ClassWeights is not null)
        {
            return [.. options.ClassWeights];
        }

        var weights = new double[counts.Length];
        var total = counts.Sum();
        var present = counts.Count(c => c > 0);
        for (var c = 0; c < counts.Length; c++)
        {
            weights[c] = options.BalancedClassWeights && counts[c] > 0 ? total / (double)(present * counts[c]) : 1.0;
        }

        return weights;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Classifier FitNaiveBayes(FeatureMatrix features, ReadOnlySpan<int> rows, ReadOnlySpan<int> classes, int[] counts, TrainingOptions options)
    {
        var classCount = counts.Length;
        var d = features.ColumnCount;
        var featureCounts = new double[d * classCount];
        var totals = new double[classCount];
        for (var i = 0; i < rows.Length; i++)
        {
            var columns = features.RowColumns(rows[i]);
            var values = features.RowValues(rows[i]);
            for (var e = 0; e < columns.Length; e++)
            {
                if (values[e] < 0)
                {
                    throw new ArgumentException("Multinomial naive Bayes needs non-negative features (counts or TF-IDF), not standardised numbers.");
                }

                featureCounts[(columns[e] * classCount) + classes[i]] += values[e];
                totals[classes[i]] += values[e];
            }
        }

        var alpha = options.NaiveBayesAlpha;
        var weights = new float[d * classCount];
        for (var j = 0; j < d; j++)
        {
            for (var k = 0; k < classCount; k++)
            {
                weights[(j * classCount) + k] = (float)Math.Log((featureCounts[(j * classCount) + k] + alpha) / (totals[k] + (alpha * d)));
            }
        }

        var bias = new float[classCount];
        for (var k = 0; k < classCount; k++)
        {
            bias[k] = counts[k] > 0 ? (float)Math.Log(counts[k] / (double)rows.Length) : AbsentClassBias;
        }

        return new Classifier(ModelKind.NaiveBayes, classCount, d, classCount, weights, bias);
    }

    /// <summary>Writes the class probabilities of one row into <paramref name="probabilities"/> (length <see cref="ClassCount"/>).</summary>
    public void PredictProba(FeatureMatrix features, int row, Span<double> probabilities)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (probabilities.Length < ClassCount)
        {
            throw new ArgumentException("Destination shorter than the number of classes.", nameof(probabilities));
        }

        if (features.ColumnCount != FeatureCount)
        {
            throw new ArgumentException($"Features have {features.ColumnCount} columns; the model expects {FeatureCount}.", nameof(features));
        }

        Probabilities(features, row, probabilities);
    }

    /// <summary>Class probabilities of every row, row-major (row × <see cref="ClassCount"/>), computed in parallel.</summary>
    public float[] PredictProba(FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var result = new float[features.RowCount * ClassCount];
        PredictProba(features, result);
        return result;
    }

    /// <summary>Class probabilities of every row into a caller-owned buffer (row × <see cref="ClassCount"/>).</summary>
    public void PredictProba(FeatureMatrix features, float[] destination)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Length < features.RowCount * ClassCount)
        {
            throw new ArgumentException("Destination too short.", nameof(destination));
        }

        if (features.ColumnCount != FeatureCount)
        {
            throw new ArgumentException($"Features have {features.ColumnCount} columns; the model expects {FeatureCount}.", nameof(features));
        }

        Parallelism.For(features.RowCount, (long)features.NonZeroCount * Outputs, (start, end) =>
        {
            Span<double> p = stackalloc double[ClassCount];
            for (var row = start; row < end; row++)
            {
                Probabilities(features, row, p);
                for (var k = 0; k < ClassCount; k++)
                {
                    destination[(row * ClassCount) + k] = (float)p[k];
                }
            }
        });
    }

    /// <summary>The most probable class of one row.</summary>
    public int Predict(FeatureMatrix features, int row)
    {
        Span<double> p = stackalloc double[ClassCount];
        PredictProba(features, row, p);
        var best = 0;
        for (var k = 1; k < p.Length; k++)
        {
            if (p[k] > p[best])
            {
                best = k;
            }
        }

        return best;
    }

    /// <summary>The unchecked hot path: probabilities of one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Probabilities(FeatureMatrix features, int row, Span<double> probabilities)
    {
        var columns = features.Columns;
        var values = features.Values;
        var end = features.RowStarts[row + 1];
        if (Outputs == 1)
        {
            double z = _bias[0];
            for (var e = features.RowStarts[row]; e < end; e++)
            {
                z += values[e] * _weights[columns[e]];
            }

            var p = LogisticRegressionSolver.Sigmoid(z);
            probabilities[0] = 1 - p;
            probabilities[1] = p;
            return;
        }

        var k = Outputs;
        for (var c = 0; c < k; c++)
        {
            probabilities[c] = _bias[c];
        }

        for (var e = features.RowStarts[row]; e < end; e++)
        {
            var v = values[e];
            var w = _weights.AsSpan(columns[e] * k, k);
            for (var c = 0; c < k; c++)
            {
                probabilities[c] += v * w[c];
            }
        }

        Softmax(probabilities[..k]);
    }

    private static void Softmax(Span<double> z)
    {
        var max = double.NegativeInfinity;
        foreach (var v in z)
        {
            max = Math.Max(max, v);
        }

        var sum = 0.0;
        for (var c = 0; c < z.Length; c++)
        {
            z[c] = Math.Exp(z[c] - max);
            sum += z[c];
        }

        for (var c = 0; c < z.Length; c++)
        {
            z[c] /= sum;
        }
    }

    internal void Write(BinaryWriter writer)
    {
        writer.Write((byte)Kind);
        writer.Write(ClassCount);
        writer.Write(FeatureCount);
        writer.Write(Outputs);
        BinaryFormat.WriteArray<float>(writer, _bias);
        BinaryFormat.WriteArray<float>(writer, _weights);
    }

    internal static Classifier Read(BinaryReader reader)
    {
        var kind = (ModelKind)reader.ReadByte();
        if (kind is not (ModelKind.LogisticRegression or ModelKind.NaiveBayes))
        {
            throw new ModelFormatException($"Unknown model kind {(int)kind} in model file.");
        }

        var classCount = reader.ReadInt32();
        var featureCount = reader.ReadInt32();
        var outputs = reader.ReadInt32();
        var bias = BinaryFormat.ReadArray<float>(reader);
        var weights = BinaryFormat.ReadArray<float>(reader);
        if (classCount < 2 || bias.Length != outputs || weights.Length != (long)featureCount * outputs
            || (outputs != 1 && outputs != classCount))
        {
            throw new ModelFormatException("Corrupt model file: classifier dimensions do not agree.");
        }

        return new Classifier(kind, classCount, featureCount, outputs, weights, bias);
    }
}
