namespace ActiveLabel.Learning;

/// <summary>The quality of a model on labeled data it was not trained on.</summary>
/// <param name="Count">Number of evaluated items.</param>
/// <param name="Accuracy">Fraction predicted correctly.</param>
/// <param name="MacroF1">Mean over classes of F1 (classes absent from both truth and predictions are skipped).</param>
/// <param name="RocAuc">Binary: ROC AUC of the second class's probability; multiclass: macro one-vs-rest AUC; null when only one class is present in the truth.</param>
/// <param name="LogLoss">Mean negative log-likelihood of the true class, probabilities clipped to [1e-15, 1].</param>
/// <param name="ConfusionMatrix">[actual][predicted] counts, in the order of <paramref name="Classes"/>.</param>
/// <param name="Classes">The class labels.</param>
public sealed record EvaluationResult(
    int Count,
    double Accuracy,
    double MacroF1,
    double? RocAuc,
    double LogLoss,
    IReadOnlyList<IReadOnlyList<int>> ConfusionMatrix,
    IReadOnlyList<string> Classes);

/// <summary>Classification metrics, computed as scikit-learn computes them.</summary>
public static class Metrics
{
    /// <summary>Fraction of positions where prediction equals truth.</summary>
    public static double Accuracy(ReadOnlySpan<int> actual, ReadOnlySpan<int> predicted)
    {
        CheckLengths(actual.Length, predicted.Length);
        var correct = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            correct += actual[i] == predicted[i] ? 1 : 0;
        }

        return actual.IsEmpty ? 0 : correct / (double)actual.Length;
    }

    /// <summary>[actual][predicted] counts.</summary>
    public static int[][] ConfusionMatrix(ReadOnlySpan<int> actual, ReadOnlySpan<int> predicted, int classCount)
    {
        CheckLengths(actual.Length, predicted.Length);
        var matrix = Enumerable.Range(0, classCount).Select(_ => new int[classCount]).ToArray();
        for (var i = 0; i < actual.Length; i++)
        {
            matrix[actual[i]][predicted[i]]++;
        }

        return matrix;
    }

    /// <summary>Unweighted mean of per-class F1 over the classes that occur in the truth or the predictions.</summary>
    public static double MacroF1(ReadOnlySpan<int> actual, ReadOnlySpan<int> predicted, int classCount)
    {
        var matrix = ConfusionMatrix(actual, predicted, classCount);
        var sum = 0.0;
        var classes = 0;
        for (var k = 0; k < classCount; k++)
        {
            var truePositives = matrix[k][k];
            var actualCount = matrix[k].Sum();
            var predictedCount = matrix.Sum(row => row[k]);
            if (actualCount + predictedCount == 0)
            {
                continue;
            }

            sum += 2.0 * truePositives / (actualCount + predictedCount);
            classes++;
        }

        return classes == 0 ? 0 : sum / classes;
    }

    /// <summary>
    /// Area under the ROC curve of scores for a binary truth (true = positive): the probability that a random positive
    /// scores above a random negative, ties counting one half (the Mann-Whitney statistic with mid-ranks).
    /// </summary>
    /// <exception cref="ArgumentException">The truth holds only one class.</exception>
    public static double RocAuc(ReadOnlySpan<bool> positive, ReadOnlySpan<double> scores)
    {
        CheckLengths(positive.Length, scores.Length);
        var order = new int[scores.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var keys = scores.ToArray();
        Array.Sort(keys, order);
        double positives = 0, rankSum = 0;
        for (var i = 0; i < keys.Length;)
        {
            var j = i;
            while (j < keys.Length && keys[j] == keys[i])
            {
                j++;
            }

            var midRank = ((i + 1) + j) / 2.0;
            for (var t = i; t < j; t++)
            {
                if (positive[order[t]])
                {
                    positives++;
                    rankSum += midRank;
                }
            }

            i = j;
        }

        var negatives = keys.Length - positives;
        if (positives == 0 || negatives == 0)
        {
            throw new ArgumentException("ROC AUC needs both positive and negative examples.");
        }

        return (rankSum - (positives * (positives + 1) / 2)) / (positives * negatives);
    }

    /// <summary>
    /// Binary: AUC of the second class's probability. Multiclass: mean one-vs-rest AUC over the classes present in the
    /// truth (scikit-learn's <c>roc_auc_score(multi_class="ovr", average="macro")</c>). Null with fewer than two classes present.
    /// </summary>
    public static double? RocAuc(ReadOnlySpan<int> actual, ReadOnlySpan<float> probabilities, int classCount)
    {
        var present = new bool[classCount];
        foreach (var a in actual)
        {
            present[a] = true;
        }

        if (present.Count(p => p) < 2)
        {
            return null;
        }

        var positive = new bool[actual.Length];
        var scores = new double[actual.Length];
        var classes = classCount == 2 ? [1] : Enumerable.Range(0, classCount).Where(k => present[k]).ToArray();
        var sum = 0.0;
        foreach (var k in classes)
        {
            for (var i = 0; i < actual.Length; i++)
            {
                positive[i] = actual[i] == k;
                scores[i] = probabilities[(i * classCount) + k];
            }

            sum += RocAuc(positive, scores);
        }

        return sum / classes.Length;
    }

    /// <summary>Mean negative log of the true class's probability (row-major probabilities), clipped at 1e-15.</summary>
    public static double LogLoss(ReadOnlySpan<int> actual, ReadOnlySpan<float> probabilities, int classCount)
    {
        var sum = 0.0;
        for (var i = 0; i < actual.Length; i++)
        {
            sum -= Math.Log(Math.Clamp(probabilities[(i * classCount) + actual[i]], 1e-15, 1.0));
        }

        return actual.IsEmpty ? 0 : sum / actual.Length;
    }

    /// <summary>Every metric for probabilities (row-major, item × class) against the true class indices.</summary>
    public static EvaluationResult Evaluate(ReadOnlySpan<int> actual, ReadOnlySpan<float> probabilities, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var classCount = classes.Count;
        var predicted = new int[actual.Length];
        for (var i = 0; i < actual.Length; i++)
        {
            var row = probabilities.Slice(i * classCount, classCount);
            var best = 0;
            for (var k = 1; k < classCount; k++)
            {
                best = row[k] > row[best] ? k : best;
            }

            predicted[i] = best;
        }

        return new EvaluationResult(
            actual.Length,
            Accuracy(actual, predicted),
            MacroF1(actual, predicted, classCount),
            RocAuc(actual, probabilities, classCount),
            LogLoss(actual, probabilities, classCount),
            ConfusionMatrix(actual, predicted, classCount),
            classes);
    }

    /// <summary>Every metric of a classifier on featurized items with known classes.</summary>
    public static EvaluationResult Evaluate(Classifier model, FeatureMatrix features, ReadOnlySpan<int> actual, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Evaluate(actual, model.PredictProba(features), classes);
    }

    private static void CheckLengths(int a, int b)
    {
        if (a != b)
        {
            throw new ArgumentException($"Lengths differ: {a} and {b}.");
        }
    }
}
