namespace ActiveLabel.Learning;

/// <summary>
/// Tells when more labels stop paying, by stabilizing predictions (Bloodgood and Vijay-Shanker 2009): after each
/// round, the new model predicts a fixed "stop set" of unlabeled items; when Cohen's kappa between successive models'
/// predictions stays at or above <paramref name="threshold"/> (mean over the last <paramref name="window"/> rounds),
/// the model has stopped changing its mind and further labels are unlikely to improve it much.
/// </summary>
/// <param name="window">Number of successive agreements averaged.</param>
/// <param name="threshold">Kappa at which to stop.</param>
public sealed class StoppingMonitor(int window = 3, double threshold = 0.99)
{
    private readonly Queue<double> _recent = new();
    private int[]? _previous;

    /// <summary>Kappa between the last two models' predictions on the stop set; null until two rounds were observed.</summary>
    public double? LastAgreement { get; private set; }

    /// <summary>True once the mean of the last window of agreements reaches the threshold.</summary>
    public bool ShouldStop => _recent.Count == window && _recent.Average() >= threshold;

    /// <summary>Records the current model's predicted classes on the stop set (same items every round); returns the agreement with the previous round.</summary>
    public double? Observe(ReadOnlySpan<int> predictions)
    {
        if (_previous is not null)
        {
            if (_previous.Length != predictions.Length)
            {
                throw new ArgumentException("The stop set must stay the same from round to round.", nameof(predictions));
            }

            LastAgreement = CohensKappa(_previous, predictions);
            _recent.Enqueue(LastAgreement.Value);
            if (_recent.Count > window)
            {
                _recent.Dequeue();
            }
        }

        _previous = predictions.ToArray();
        return LastAgreement;
    }

    /// <summary>Agreement between two labelings corrected for chance; 1 when identical (also when both are constant).</summary>
    public static double CohensKappa(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        if (a.Length != b.Length || a.IsEmpty)
        {
            throw new ArgumentException("Need two non-empty labelings of the same items.");
        }

        var classes = 0;
        foreach (var v in a)
        {
            classes = Math.Max(classes, v + 1);
        }

        foreach (var v in b)
        {
            classes = Math.Max(classes, v + 1);
        }

        var countA = new double[classes];
        var countB = new double[classes];
        var agree = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            countA[a[i]]++;
            countB[b[i]]++;
            agree += a[i] == b[i] ? 1 : 0;
        }

        var observed = agree / a.Length;
        var expected = 0.0;
        for (var k = 0; k < classes; k++)
        {
            expected += countA[k] / a.Length * (countB[k] / a.Length);
        }

        return expected >= 1 ? (observed >= 1 ? 1 : 0) : (observed - expected) / (1 - expected);
    }
}
