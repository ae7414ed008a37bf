using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ActiveLabel.Learning;

/// <summary>
/// The labeled rows of a fit, restricted to the features they use. With an L2 penalty a feature that no training row
/// uses has weight exactly zero at the optimum, so solving in this compact space is exact and much cheaper when a
/// thousand labeled items touch ten thousand of a million columns.
/// Products with Xᵀ scatter row by row; on large sets the rows are split into two fixed halves, each scattering into
/// its own buffer, summed in a fixed order: fast on two cores, and the same bits on any number of cores.
/// </summary>
internal sealed class TrainingSet
{
    private const long ParallelThreshold = 150_000;

    private readonly double[] _scatter;
    private readonly double[] _scatterSquared;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public TrainingSet(FeatureMatrix x, ReadOnlySpan<int> rows)
    {
        RowCount = rows.Length;
        var map = ArrayPool<int>.Shared.Rent(x.ColumnCount);
        map.AsSpan(0, x.ColumnCount).Fill(-1);
        var globals = new List<int>();
        RowStarts = new int[rows.Length + 1];
        for (var i = 0; i < rows.Length; i++)
        {
            RowStarts[i + 1] = RowStarts[i] + x.RowStarts[rows[i] + 1] - x.RowStarts[rows[i]];
        }

        Columns = new int[RowStarts[rows.Length]];
        Values = new float[RowStarts[rows.Length]];
        for (var i = 0; i < rows.Length; i++)
        {
            var cols = x.RowColumns(rows[i]);
            var offset = RowStarts[i];
            for (var e = 0; e < cols.Length; e++)
            {
                var c = cols[e];
                if (map[c] < 0)
                {
                    map[c] = globals.Count;
                    globals.Add(c);
                }

                Columns[offset + e] = map[c];
            }

            x.RowValues(rows[i]).CopyTo(Values.AsSpan(offset));
        }

        foreach (var g in globals)
        {
            map[g] = -1;
        }

        ArrayPool<int>.Shared.Return(map);
        GlobalColumns = [.. globals];
        _scatter = IsParallel(1) ? new double[FeatureCount + 1] : [];
        _scatterSquared = IsParallel(1) ? new double[FeatureCount + 1] : [];
    }

    public int RowCount { get; }

    public int FeatureCount => GlobalColumns.Length;

    public int NonZeroCount => Values.Length;

    public int[] GlobalColumns { get; }

    public int[] RowStarts { get; }

    public int[] Columns { get; }

    public float[] Values { get; }

    private bool IsParallel(int outputs) => (long)NonZeroCount * outputs >= ParallelThreshold && RowCount >= 2;

    /// <summary>result[i] = bias + x_i · w, for every training row.</summary>
    public void Multiply(double[] w, double bias, double[] result)
    {
        if (!IsParallel(1))
        {
            MultiplyRows(w, bias, result, 0, RowCount);
            return;
        }

        var half = RowCount / 2;
        Parallel.Invoke(() => MultiplyRows(w, bias, result, 0, half), () => MultiplyRows(w, bias, result, half, RowCount));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MultiplyRows(double[] w, double bias, double[] result, int start, int end)
    {
        for (var r = start; r < end; r++)
        {
            result[r] = bias + VectorMath.SparseDot(Columns, Values, RowStarts[r], RowStarts[r + 1], w);
        }
    }

    /// <summary>
    /// One sweep over the rows: for each row i, u = x_i · v + v_bias, q = f(i, u), then result += q · x_i, and the
    /// returned value is Σ q (the intercept's component). With <paramref name="v"/> null, q = rowWeights[i] (a plain
    /// transposed product Xᵀ·r).
    /// </summary>
    public double Scatter(double[] rowWeights, double[]? v, double[] result)
    {
        if (!IsParallel(1))
        {
            Array.Clear(result, 0, FeatureCount);
            return ScatterRows(rowWeights, v, result, 0, RowCount);
        }

        var half = RowCount / 2;
        double first = 0, second = 0;
        Parallel.Invoke(
            () =>
            {
                Array.Clear(result, 0, FeatureCount);
                first = ScatterRows(rowWeights, v, result, 0, half);
            },
            () =>
            {
                Array.Clear(_scatter);
                second = ScatterRows(rowWeights, v, _scatter, half, RowCount);
            });
        VectorMath.Axpy(1.0, _scatter.AsSpan(0, FeatureCount), result.AsSpan(0, FeatureCount));
        return first + second;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double ScatterRows(double[] rowWeights, double[]? v, double[] result, int start, int end)
    {
        ref var columns = ref MemoryMarshal.GetArrayDataReference(Columns);
        ref var values = ref MemoryMarshal.GetArrayDataReference(Values);
        ref var target = ref MemoryMarshal.GetArrayDataReference(result);
        var total = 0.0;
        for (var r = start; r < end; r++)
        {
            var q = rowWeights[r];
            if (v is not null)
            {
                // Hessian-vector product: q = D_i · (x_i · v + v_bias).
                q *= VectorMath.SparseDot(Columns, Values, RowStarts[r], RowStarts[r + 1], v) + v[FeatureCount];
            }

            total += q;
            for (var e = RowStarts[r]; e < RowStarts[r + 1]; e++)
            {
                Unsafe.Add(ref target, Unsafe.Add(ref columns, e)) += q * Unsafe.Add(ref values, e);
            }
        }

        return total;
    }

    /// <summary>
    /// The gradient and the Hessian diagonal in one sweep: linear += Σ_i a_i x_i, squared += Σ_i b_i x_i², returning
    /// (Σ a, Σ b).
    /// </summary>
    public (double Linear, double Squared) ScatterBoth(double[] a, double[] b, double[] linear, double[] squared)
    {
        if (!IsParallel(1))
        {
            Array.Clear(linear, 0, FeatureCount);
            Array.Clear(squared, 0, FeatureCount);
            return ScatterBothRows(a, b, linear, squared, 0, RowCount);
        }

        var half = RowCount / 2;
        (double, double) first = default, second = default;
        Parallel.Invoke(
            () =>
            {
                Array.Clear(linear, 0, FeatureCount);
                Array.Clear(squared, 0, FeatureCount);
                first = ScatterBothRows(a, b, linear, squared, 0, half);
            },
            () =>
            {
                Array.Clear(_scatter);
                Array.Clear(_scatterSquared);
                second = ScatterBothRows(a, b, _scatter, _scatterSquared, half, RowCount);
            });
        VectorMath.Axpy(1.0, _scatter.AsSpan(0, FeatureCount), linear.AsSpan(0, FeatureCount));
        VectorMath.Axpy(1.0, _scatterSquared.AsSpan(0, FeatureCount), squared.AsSpan(0, FeatureCount));
        return (first.Item1 + second.Item1, first.Item2 + second.Item2);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (double, double) ScatterBothRows(double[] a, double[] b, double[] linear, double[] squared, int start, int end)
    {
        ref var columns = ref MemoryMarshal.GetArrayDataReference(Columns);
        ref var values = ref MemoryMarshal.GetArrayDataReference(Values);
        ref var first = ref MemoryMarshal.GetArrayDataReference(linear);
        ref var second = ref MemoryMarshal.GetArrayDataReference(squared);
        double sumA = 0, sumB = 0;
        for (var r = start; r < end; r++)
        {
            var ar = a[r];
            var br = b[r];
            sumA += ar;
            sumB += br;
            for (var e = RowStarts[r]; e < RowStarts[r + 1]; e++)
            {
                double value = Unsafe.Add(ref values, e);
                var column = Unsafe.Add(ref columns, e);
                Unsafe.Add(ref first, column) += ar * value;
                Unsafe.Add(ref second, column) += br * value * value;
            }
        }

        return (sumA, sumB);
    }

    /// <summary>Z[i, k] = b[k] + Σ_j x_ij W[j, k] for K outputs stored feature-major, intercepts after the weights.</summary>
    public void Multiply(double[] w, int outputs, double[] result)
    {
        if (!IsParallel(outputs))
        {
            MultiplyRows(w, outputs, result, 0, RowCount);
            return;
        }

        var half = RowCount / 2;
        Parallel.Invoke(() => MultiplyRows(w, outputs, result, 0, half), () => MultiplyRows(w, outputs, result, half, RowCount));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MultiplyRows(double[] w, int outputs, double[] result, int start, int end)
    {
        var biasOffset = FeatureCount * outputs;
        for (var r = start; r < end; r++)
        {
            var z = result.AsSpan(r * outputs, outputs);
            w.AsSpan(biasOffset, outputs).CopyTo(z);
            for (var e = RowStarts[r]; e < RowStarts[r + 1]; e++)
            {
                var v = Values[e];
                var row = w.AsSpan(Columns[e] * outputs, outputs);
                for (var k = 0; k < outputs; k++)
                {
                    z[k] += v * row[k];
                }
            }
        }
    }

    /// <summary>G[j, k] = Σ_i x_ij R[i, k] for K outputs stored feature-major (intercept part untouched).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void MultiplyTransposed(double[] r, int outputs, double[] result)
    {
        Array.Clear(result, 0, FeatureCount * outputs);
        for (var i = 0; i < RowCount; i++)
        {
            var ri = r.AsSpan(i * outputs, outputs);
            for (var e = RowStarts[i]; e < RowStarts[i + 1]; e++)
            {
                var v = Values[e];
                var g = result.AsSpan(Columns[e] * outputs, outputs);
                for (var k = 0; k < outputs; k++)
                {
                    g[k] += v * ri[k];
                }
            }
        }
    }
}
