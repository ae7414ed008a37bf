namespace ActiveLabel.Learning;

/// <summary>The model family.</summary>
public enum ModelKind
{
    /// <summary>L2-regularised logistic regression: binary for two classes, multinomial (softmax) for more.</summary>
    LogisticRegression = 1,

    /// <summary>Multinomial naive Bayes with additive smoothing: the model of the modAL tutorial; needs non-negative features.</summary>
    NaiveBayes = 2,
}

/// <summary>How a model is trained. The defaults match scikit-learn's <c>LogisticRegression(C=1)</c>.</summary>
public sealed record TrainingOptions
{
    /// <summary>The model family.</summary>
    public ModelKind Kind { get; init; } = ModelKind.LogisticRegression;

    /// <summary>Inverse regularisation strength: the objective is C·Σ loss + ½‖w‖² (the intercept is not penalised).</summary>
    public double C { get; init; } = 1.0;

    /// <summary>Weight each class by n / (classes · n_class) so that rare labels count as much as common ones.</summary>
    public bool BalancedClassWeights { get; init; }

    /// <summary>Explicit weight per class index (overrides <see cref="BalancedClassWeights"/>); null for none.</summary>
    public IReadOnlyList<double>? ClassWeights { get; init; }

    /// <summary>
    /// The solver stops when the largest gradient component of Σ loss + ‖w‖²/(2C) falls below this fraction of its value
    /// at the start (and of 1): about liblinear's stopping rule with scikit-learn's tol=1e-4. Newton's method converges
    /// quadratically, so each tenfold tightening costs about one more step; on the bundled sets 1e-3 to 1e-6 give the
    /// same test accuracy, AUC and log loss to 5 decimals.
    /// </summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>Cap on solver iterations (Newton steps for binary, L-BFGS steps for multinomial).</summary>
    public int MaxIterations { get; init; } = 200;

    /// <summary>Additive (Laplace) smoothing of naive Bayes.</summary>
    public double NaiveBayesAlpha { get; init; } = 1.0;

    /// <summary>How text columns are featurized.</summary>
    public TextFeaturizerOptions Text { get; init; } = new();

    /// <summary>Seed for everything random downstream of training (committee bootstraps, random sampling).</summary>
    public int Seed { get; init; }

    internal void Validate(int classCount)
    {
        if (!(C > 0) || double.IsInfinity(C))
        {
            throw new ArgumentException("C must be a positive finite number.");
        }

        if (ClassWeights is not null && (ClassWeights.Count != classCount || ClassWeights.Any(w => !(w > 0))))
        {
            throw new ArgumentException($"ClassWeights needs one positive weight per class ({classCount}).");
        }
    }
}
