using System.Runtime.CompilerServices;

namespace ActiveLabel.Learning;

/// <summary>
/// Solves L2-regularised logistic regression to the optimum of Σ sᵢ·loss(xᵢ) + ‖w‖²/(2C), intercept unpenalised
/// (scikit-learn's objective scaled by 1/C). Binary problems use a truncated Newton method (conjugate gradients on
/// Hessian-vector products, Armijo line search), which converges quadratically near the optimum; multinomial problems
/// use L-BFGS.
/// </summary>
internal static class LogisticRegressionSolver
{
    /// <summary>Binary fit: labels are 0 or 1. Returns the weights over the compact features and the intercept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double[] Weights, double Bias) FitBinary(TrainingSet data, ReadOnlySpan<int> labels, double[] sampleWeights, TrainingOptions options)
    {
        var n = data.RowCount;
        var d = data.FeatureCount;
        var lambda = 1.0 / options.C;
        var target = new double[n];
        for (var i = 0; i < n; i++)
        {
            target[i] = labels[i];
        }

        // Weights and intercept share one vector (intercept last) so the dense kernels treat them alike.
        var w = new double[d + 1];
        var z = new double[n];
        var curvature = new double[n];
        var residual = new double[n];
        var gradient = new double[d + 1];
        var step = new double[d + 1];
        var direction = new double[d + 1];
        var cgResidual = new double[d + 1];
        var preconditioned = new double[d + 1];
        var hessianTimes = new double[d + 1];
        var diagonal = new double[d + 1];
        var rowScratch = new double[n];
        var initialGradientMax = 0.0;

        // Start from the intercept-only optimum, the log-odds of the (weighted) classes: one Newton step saved.
        double positive = 0, negative = 0;
        for (var i = 0; i < n; i++)
        {
            positive += sampleWeights[i] * target[i];
            negative += sampleWeights[i] * (1 - target[i]);
        }

        w[d] = Math.Log(positive / negative);
        Array.Fill(z, w[d]);

        for (var iteration = 0; iteration < options.MaxIterations; iteration++)
        {
            Gradient(data, z, target, sampleWeights, lambda, w, residual, curvature, gradient, diagonal);
            var gradientMax = VectorMath.MaxAbs(gradient);
            initialGradientMax = iteration == 0 ? gradientMax : initialGradientMax;
            if (gradientMax <= options.Tolerance * Math.Max(1.0, initialGradientMax))
            {
                break;
            }

            // Conjugate gradients on H·s = -g with a diagonal (Jacobi) preconditioner, truncated once the residual is
            // small relative to the gradient: loose far from the optimum, tight near it.

            var gradientNorm = Math.Sqrt(VectorMath.Dot(gradient, gradient));
            var forcing = Math.Min(0.5, Math.Sqrt(gradientNorm)) * gradientNorm;
            Array.Clear(step);
            for (var j = 0; j <= d; j++)
            {
                diagonal[j] = 1.0 / diagonal[j];
                cgResidual[j] = -gradient[j];
                preconditioned[j] = cgResidual[j] * diagonal[j];
                direction[j] = preconditioned[j];
            }

            var rz = VectorMath.Dot(cgResidual, preconditioned);
            for (var cg = 0; cg < 250; cg++)
            {
                HessianTimes(data, curvature, lambda, direction, hessianTimes);
                var pHp = VectorMath.Dot(direction, hessianTimes);
                if (pHp <= 1e-300)
                {
                    break;
                }

                var (rr, rzNext) = VectorMath.ConjugateGradientUpdate(rz / pHp, direction, hessianTimes, diagonal, step, cgResidual, preconditioned);
                if (Math.Sqrt(rr) <= forcing)
                {
                    break;
                }

                VectorMath.Xpby(preconditioned, rzNext / rz, direction);
                rz = rzNext;
            }

            // Line search along the step: z moves linearly, so each trial costs O(n) and no pass over the features.
            data.Multiply(step, step[d], rowScratch);
            var slope = VectorMath.Dot(gradient, step);
            if (slope >= 0)
            {
                break;
            }

            var wSquared = VectorMath.Dot(w.AsSpan(0, d), w.AsSpan(0, d));
            var wStep = VectorMath.Dot(w.AsSpan(0, d), step.AsSpan(0, d));
            var stepSquared = VectorMath.Dot(step.AsSpan(0, d), step.AsSpan(0, d));
            var current = Loss(z, rowScratch, 0, target, sampleWeights) + (0.5 * lambda * wSquared);
            var t = 1.0;
            var accepted = false;
            for (var trial = 0; trial < 40; trial++)
            {
                var value = Loss(z, rowScratch, t, target, sampleWeights) + (0.5 * lambda * (wSquared + (2 * t * wStep) + (t * t * stepSquared)));
                // Near the optimum the decrease drowns in rounding error; a full Newton step is then the right one.
                if (value <= current + (1e-4 * t * slope) || (t == 1.0 && value - current <= 1e-13 * Math.Abs(current)))
                {
                    accepted = true;
                    break;
                }

                t *= 0.5;
            }

            if (!accepted)
            {
                break;
            }

            VectorMath.Axpy(t, step, w);
            VectorMath.Axpy(t, rowScratch, z);
        }

        return (w[..d], w[d]);
    }

    /// <summary>
    /// Gradient of the binary objective at weights <paramref name="w"/> (intercept last) given the scores z = X·w + b;
    /// fills the per-row residuals and curvatures, the Hessian's diagonal when asked (same sweep), and returns Σ curvature.
    /// </summary>
    internal static double Gradient(TrainingSet data, double[] z, double[] target, double[] sampleWeights, double lambda, double[] w, double[] residual, double[] curvature, double[] gradient, double[]? diagonal = null)
    {
        var d = data.FeatureCount;
        var biasCurvature = 0.0;
        for (var i = 0; i < z.Length; i++)
        {
            var p = Sigmoid(z[i]);
            residual[i] = sampleWeights[i] * (p - target[i]);
            curvature[i] = Math.Max(sampleWeights[i] * p * (1 - p), 1e-12);
            biasCurvature += curvature[i];
        }

        if (diagonal is null)
        {
            gradient[d] = data.Scatter(residual, null, gradient);
        }
        else
        {
            (gradient[d], diagonal[d]) = data.ScatterBoth(residual, curvature, gradient, diagonal);
            for (var j = 0; j < d; j++)
            {
                diagonal[j] += lambda;
            }
        }

        VectorMath.Axpy(lambda, w.AsSpan(0, d), gradient.AsSpan(0, d));
        return biasCurvature;
    }

    /// <summary>The binary objective Σ sᵢ·loss + λ/2·‖w‖² at weights <paramref name="w"/> (intercept last).</summary>
    internal static double Objective(TrainingSet data, double[] target, double[] sampleWeights, double lambda, double[] w)
    {
        var d = data.FeatureCount;
        var z = new double[data.RowCount];
        data.Multiply(w, w[d], z);
        return Loss(z, z, 0, target, sampleWeights) + (0.5 * lambda * VectorMath.Dot(w.AsSpan(0, d), w.AsSpan(0, d)));
    }

    /// <summary>The binary objective's gradient at <paramref name="w"/> (intercept last), computed from scratch.</summary>
    internal static double[] Gradient(TrainingSet data, double[] target, double[] sampleWeights, double lambda, double[] w)
    {
        var z = new double[data.RowCount];
        data.Multiply(w, w[data.FeatureCount], z);
        var gradient = new double[data.FeatureCount + 1];
        Gradient(data, z, target, sampleWeights, lambda, w, new double[z.Length], new double[z.Length], gradient);
        return gradient;
    }

    /// <summary>The binary objective's Hessian times <paramref name="v"/> at <paramref name="w"/>, computed from scratch.</summary>
    internal static double[] HessianTimes(TrainingSet data, double[] target, double[] sampleWeights, double lambda, double[] w, double[] v)
    {
        var z = new double[data.RowCount];
        data.Multiply(w, w[data.FeatureCount], z);
        var curvature = new double[z.Length];
        Gradient(data, z, target, sampleWeights, lambda, w, new double[z.Length], curvature, new double[w.Length]);
        var result = new double[w.Length];
        HessianTimes(data, curvature, lambda, v, result);
        return result;
    }

    /// <summary>H·v = λ·v_w + Xᵀ·D·(X·v_w + v_b), with the intercept (last component) unpenalised.</summary>
    private static void HessianTimes(TrainingSet data, double[] curvature, double lambda, double[] v, double[] result)
    {
        var d = data.FeatureCount;
        result[d] = data.Scatter(curvature, v, result);
        VectorMath.Axpy(lambda, v.AsSpan(0, d), result.AsSpan(0, d));
    }

    /// <summary>
    /// Multinomial (softmax) fit over K classes. Returns K weights per compact feature (feature-major) followed by
    /// the K intercepts.
    /// </summary>
    public static double[] FitMultinomial(TrainingSet data, ReadOnlySpan<int> labels, int classes, double[] sampleWeights, TrainingOptions options)
    {
        var n = data.RowCount;
        var lambda = 1.0 / options.C;
        var size = (data.FeatureCount + 1) * classes;
        var y = labels.ToArray();
        var z = new double[n * classes];
        var r = new double[n * classes];
        double Evaluate(double[] x, double[] gradient) => MultinomialObjective(data, y, classes, sampleWeights, lambda, x, gradient, z, r);

        return Lbfgs.Minimize(Evaluate, new double[size], options.Tolerance, options.MaxIterations);
    }

    /// <summary>The multinomial objective at <paramref name="x"/> (weights feature-major, then intercepts) and its gradient.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double MultinomialObjective(TrainingSet data, int[] y, int classes, double[] sampleWeights, double lambda, double[] x, double[] gradient, double[] z, double[] r)
    {
        var n = data.RowCount;
        data.Multiply(x, classes, z);
        var loss = 0.0;
        for (var i = 0; i < n; i++)
        {
            var zi = z.AsSpan(i * classes, classes);
            var max = double.NegativeInfinity;
            foreach (var v in zi)
            {
                max = Math.Max(max, v);
            }

            var sum = 0.0;
            foreach (var v in zi)
            {
                sum += Math.Exp(v - max);
            }

            var logSum = max + Math.Log(sum);
            loss += sampleWeights[i] * (logSum - zi[y[i]]);
            for (var k = 0; k < classes; k++)
            {
                r[(i * classes) + k] = sampleWeights[i] * (Math.Exp(zi[k] - logSum) - (k == y[i] ? 1 : 0));
            }
        }

        var biasOffset = data.FeatureCount * classes;
        data.MultiplyTransposed(r, classes, gradient);
        VectorMath.Axpy(lambda, x.AsSpan(0, biasOffset), gradient.AsSpan(0, biasOffset));
        for (var k = 0; k < classes; k++)
        {
            var sum = 0.0;
            for (var i = 0; i < n; i++)
            {
                sum += r[(i * classes) + k];
            }

            gradient[biasOffset + k] = sum;
        }

        return loss + (0.5 * lambda * VectorMath.Dot(x.AsSpan(0, biasOffset), x.AsSpan(0, biasOffset)));
    }

    private static double Loss(double[] z, double[] dz, double t, double[] target, double[] sampleWeights)
    {
        var sum = 0.0;
        for (var i = 0; i < z.Length; i++)
        {
            var zi = z[i] + (t * dz[i]);
            sum += sampleWeights[i] * (Softplus(zi) - (target[i] * zi));
        }

        return sum;
    }

    internal static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    private static double Softplus(double z) => Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z)));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Dot(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double MaxAbs(double[] a)
    {
        var max = 0.0;
        foreach (var v in a)
        {
            max = Math.Max(max, Math.Abs(v));
        }

        return max;
    }
}

/// <summary>Limited-memory BFGS with a backtracking (Armijo) line search.</summary>
internal static class Lbfgs
{
    private const int Memory = 10;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double[] Minimize(Func<double[], double[], double> evaluate, double[] x, double tolerance, int maxIterations)
    {
        var size = x.Length;
        var g = new double[size];
        var f = evaluate(x, g);
        var s = new double[Memory][];
        var y = new double[Memory][];
        var rho = new double[Memory];
        var alphas = new double[Memory];
        var stored = 0;
        var newest = -1;
        var direction = new double[size];
        var xNext = new double[size];
        var gNext = new double[size];

        var threshold = tolerance * Math.Max(1.0, MaxAbs(g));
        for (var iteration = 0; iteration < maxIterations && MaxAbs(g) > threshold; iteration++)
        {
            // Two-loop recursion: direction = -H·g.
            for (var j = 0; j < size; j++)
            {
                direction[j] = -g[j];
            }

            for (var m = 0; m < stored; m++)
            {
                var idx = (newest - m + Memory) % Memory;
                alphas[idx] = rho[idx] * Dot(s[idx], direction);
                Axpy(-alphas[idx], y[idx], direction);
            }

            var scale = stored > 0 ? 1.0 / (rho[newest] * Dot(y[newest], y[newest])) : 1.0 / Math.Max(1.0, Norm(g));
            for (var j = 0; j < size; j++)
            {
                direction[j] *= scale;
            }

            for (var m = stored - 1; m >= 0; m--)
            {
                var idx = (newest - m + Memory) % Memory;
                var beta = rho[idx] * Dot(y[idx], direction);
                Axpy(alphas[idx] - beta, s[idx], direction);
            }

            var slope = Dot(g, direction);
            if (slope >= 0)
            {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                stored = 0;
                for (var j = 0; j < size; j++)
                {
                    direction[j] = -g[j] / Math.Max(1.0, Norm(g));
                }

                slope = Dot(g, direction);
            }

            var t = 1.0;
            double fNext;
            var trials = 0;
            while (true)
            {
                for (var j = 0; j < size; j++)
                {
                    xNext[j] = x[j] + (t * direction[j]);
                }

                fNext = evaluate(xNext, gNext);
                if (fNext <= f + (1e-4 * t * slope) || ++trials >= 40)
                {
                    break;
                }

                t *= 0.5;
            }

            if (!(fNext <= f))
            {
                break;
            }

            newest = (newest + 1) % Memory;
            s[newest] ??= new double[size];
            y[newest] ??= new double[size];
            for (var j = 0; j < size; j++)
            {
                s[newest][j] = xNext[j] - x[j];
                y[newest][j] = gNext[j] - g[j];
            }

            var sy = Dot(s[newest], y[newest]);
            if (sy > 1e-12)
            {
                rho[newest] = 1.0 / sy;
                stored = Math.Min(stored + 1, Memory);
            }
            else
            {
                // The slot just written held the oldest pair when memory was full: that pair is gone.
                newest = (newest - 1 + Memory) % Memory;
                stored = Math.Min(stored, Memory - 1);
            }

            var improvement = f - fNext;
            (x, xNext) = (xNext, x);
            (g, gNext) = (gNext, g);
            f = fNext;
            if (improvement <= 1e-14 * Math.Max(1.0, Math.Abs(f)))
            {
                break;
            }
        }

        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Dot(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private static double Norm(double[] a) => Math.Sqrt(Dot(a, a));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy(double alpha, double[] x, double[] y)
    {
        for (var i = 0; i < x.Length; i++)
        {
            y[i] += alpha * x[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double MaxAbs(double[] a)
    {
        var max = 0.0;
        foreach (var v in a)
        {
            max = Math.Max(max, Math.Abs(v));
        }

        return max;
    }
}
