namespace ActiveLabel.Learning;

/// <summary>
/// The uncertainty measures of the Dataiku query sampler (ML-assisted labeling plugin), each normalised to [0, 1]
/// where 1 is the most uncertain (uniform probabilities). With p(1) ≥ p(2) the two highest of n class probabilities:
/// least confidence (1 − p(1))·n/(n − 1), smallest margin 1 − (p(1) − p(2)), entropy −Σ p log p / log n.
/// For two classes all three rank items identically.
/// </summary>
public static class Uncertainty
{
    /// <summary>Least confidence: how far the top probability is from certainty.</summary>
    public static double LeastConfidence(ReadOnlySpan<double> probabilities)
    {
        var (first, _) = TopTwo(probabilities);
        return Math.Clamp((1 - first) * probabilities.Length / (probabilities.Length - 1), 0, 1);
    }

    /// <summary>Smallest margin: one minus the gap between the two most probable classes.</summary>
    public static double Margin(ReadOnlySpan<double> probabilities)
    {
        var (first, second) = TopTwo(probabilities);
        return Math.Clamp(1 - (first - second), 0, 1);
    }

    /// <summary>Greatest entropy: Shannon entropy divided by log(number of classes).</summary>
    public static double Entropy(ReadOnlySpan<double> probabilities)
    {
        var sum = 0.0;
        foreach (var p in probabilities)
        {
            if (p > 0)
            {
                sum -= p * Math.Log(p);
            }
        }

        return Math.Clamp(sum / Math.Log(probabilities.Length), 0, 1);
    }

    private static (double First, double Second) TopTwo(ReadOnlySpan<double> probabilities)
    {
        if (probabilities.Length < 2)
        {
            throw new ArgumentException("Need the probabilities of at least two classes.", nameof(probabilities));
        }

        double first = double.NegativeInfinity, second = double.NegativeInfinity;
        foreach (var p in probabilities)
        {
            if (p > first)
            {
                second = first;
                first = p;
            }
            else if (p > second)
            {
                second = p;
            }
        }

        return (first, second);
    }
}
