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
    /// transposed product Xᵀ·r); with <paramref name="squared"/>, x_ij² replaces x_ij (the Hessian's diagonal).
    /// </summary>
    public double Scatter(double[] rowWeights, double[]? v, double[] result, bool squared = false)
    {
        if (!IsParallel(1))
        {
            Array.Clear(result, 0, FeatureCount);
            return ScatterRows(rowWeights, v, result, squared, 0, RowCount);
        }

        var half = RowCount / 2;
        double first = 0, second = 0;
        Parallel.Invoke(
            () =>
            {
                Array.Clear(result, 0, FeatureCount);
                first = ScatterRows(rowWeights, v, result, squared, 0, half);
            },
            () =>
            {
                Array.Clear(_scatter);
                second = ScatterRows(rowWeights, v, _scatter, squared, half, RowCount);
            });
        VectorMath.Axpy(1.0, _scatter.AsSpan(0, FeatureCount), result.AsSpan(0, FeatureCount));
        return first + second;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double ScatterRows(double[] rowWeights, double[]? v, double[] result, bool squared, int start, int end)
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
                double value = Unsafe.Add(ref values, e);
                Unsafe.Add(ref target, Unsafe.Add(ref columns, e)) += squared ? q * value * value : q * value;
            }
        }

        return total;
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
