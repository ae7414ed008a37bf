using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ActiveLabel.Learning;

/// <summary>Dense vector kernels, SIMD-vectorised: the solvers spend as much time here as in the sparse products.</summary>
internal static class VectorMath
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = Vector<double>.Zero;
        var i = 0;
        for (; i <= a.Length - Vector<double>.Count; i += Vector<double>.Count)
        {
            sum += new Vector<double>(a[i..]) * new Vector<double>(b[i..]);
        }

        var result = Vector.Sum(sum);
        for (; i < a.Length; i++)
        {
            result += a[i] * b[i];
        }

        return result;
    }

    /// <summary>y += alpha · x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Axpy(double alpha, ReadOnlySpan<double> x, Span<double> y)
    {
        var a = new Vector<double>(alpha);
        var i = 0;
        for (; i <= x.Length - Vector<double>.Count; i += Vector<double>.Count)
        {
            (new Vector<double>(y[i..]) + (a * new Vector<double>(x[i..]))).CopyTo(y[i..]);
        }

        for (; i < x.Length; i++)
        {
            y[i] += alpha * x[i];
        }
    }

    /// <summary>y = x + beta · y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Xpby(ReadOnlySpan<double> x, double beta, Span<double> y)
    {
        var b = new Vector<double>(beta);
        var i = 0;
        for (; i <= x.Length - Vector<double>.Count; i += Vector<double>.Count)
        {
            (new Vector<double>(x[i..]) + (b * new Vector<double>(y[i..]))).CopyTo(y[i..]);
        }

        for (; i < x.Length; i++)
        {
            y[i] = x[i] + (beta * y[i]);
        }
    }

    /// <summary>
    /// One conjugate-gradient update in a single sweep: step += α·p, r −= α·Hp, z = r ⊙ invDiagonal; returns (r·r, r·z).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double ResidualSquared, double ResidualDotPreconditioned) ConjugateGradientUpdate(
        double alpha, ReadOnlySpan<double> p, ReadOnlySpan<double> hp, ReadOnlySpan<double> invDiagonal, Span<double> step, Span<double> r, Span<double> z)
    {
        var a = new Vector<double>(alpha);
        var rr = Vector<double>.Zero;
        var rz = Vector<double>.Zero;
        var i = 0;
        for (; i <= p.Length - Vector<double>.Count; i += Vector<double>.Count)
        {
            (new Vector<double>(step[i..]) + (a * new Vector<double>(p[i..]))).CopyTo(step[i..]);
            var ri = new Vector<double>(r[i..]) - (a * new Vector<double>(hp[i..]));
            ri.CopyTo(r[i..]);
            var zi = ri * new Vector<double>(invDiagonal[i..]);
            zi.CopyTo(z[i..]);
            rr += ri * ri;
            rz += ri * zi;
        }

        double rrSum = Vector.Sum(rr), rzSum = Vector.Sum(rz);
        for (; i < p.Length; i++)
        {
            step[i] += alpha * p[i];
            r[i] -= alpha * hp[i];
            z[i] = r[i] * invDiagonal[i];
            rrSum += r[i] * r[i];
            rzSum += r[i] * z[i];
        }

        return (rrSum, rzSum);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double MaxAbs(ReadOnlySpan<double> a)
    {
        var max = Vector<double>.Zero;
        var i = 0;
        for (; i <= a.Length - Vector<double>.Count; i += Vector<double>.Count)
        {
            max = Vector.Max(max, Vector.Abs(new Vector<double>(a[i..])));
        }

        var result = 0.0;
        for (var k = 0; k < Vector<double>.Count; k++)
        {
            result = Math.Max(result, max[k]);
        }

        for (; i < a.Length; i++)
        {
            result = Math.Max(result, Math.Abs(a[i]));
        }

        return result;
    }

    /// <summary>Σ values[e] · dense[columns[e]] without bounds checks: the innermost loop of every sparse product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SparseDot(int[] columns, float[] values, int start, int end, double[] dense)
    {
        ref var c = ref MemoryMarshal.GetArrayDataReference(columns);
        ref var v = ref MemoryMarshal.GetArrayDataReference(values);
        ref var d = ref MemoryMarshal.GetArrayDataReference(dense);
        double s0 = 0, s1 = 0;
        var e = start;
        for (; e + 1 < end; e += 2)
        {
            s0 += Unsafe.Add(ref v, e) * Unsafe.Add(ref d, Unsafe.Add(ref c, e));
            s1 += Unsafe.Add(ref v, e + 1) * Unsafe.Add(ref d, Unsafe.Add(ref c, e + 1));
        }

        if (e < end)
        {
            s0 += Unsafe.Add(ref v, e) * Unsafe.Add(ref d, Unsafe.Add(ref c, e));
        }

        return s0 + s1;
    }

    /// <summary>As <see cref="SparseDot(int[], float[], int, int, double[])"/> against single-precision weights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SparseDot(int[] columns, float[] values, int start, int end, float[] dense)
    {
        ref var c = ref MemoryMarshal.GetArrayDataReference(columns);
        ref var v = ref MemoryMarshal.GetArrayDataReference(values);
        ref var d = ref MemoryMarshal.GetArrayDataReference(dense);
        float s0 = 0, s1 = 0;
        var e = start;
        for (; e + 1 < end; e += 2)
        {
            s0 += Unsafe.Add(ref v, e) * Unsafe.Add(ref d, Unsafe.Add(ref c, e));
            s1 += Unsafe.Add(ref v, e + 1) * Unsafe.Add(ref d, Unsafe.Add(ref c, e + 1));
        }

        if (e < end)
        {
            s0 += Unsafe.Add(ref v, e) * Unsafe.Add(ref d, Unsafe.Add(ref c, e));
        }

        return (double)s0 + s1;
    }
}
