using System.Diagnostics;

namespace ActiveLabel.Alp.Annotate;

/// <summary>
/// Collects request latencies into a fixed log-linear histogram (microsecond resolution below 2 ms, then 64 buckets
/// per power of two, so within 1.6% of the true value) and reports percentiles. Recording is one interlocked increment,
/// cheap enough for thousands of calls per second on the machine being measured, and memory does not grow with the run.
/// </summary>
internal sealed class LatencyRecorder
{
    private const int SubBucketBits = 6;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int LinearLimit = 2 * 1024; // microseconds recorded exactly
    private const int MaxExponent = 40;

    private readonly long[] _counts = new long[LinearLimit + ((MaxExponent - 11) * SubBuckets)];
    private long _maxMicroseconds;

    public void Record(TimeSpan elapsed) => RecordMicroseconds((long)Math.Max(0, elapsed.TotalMicroseconds));

    /// <summary>Records the time from <paramref name="startTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>) to now.</summary>
    public void RecordSince(long startTimestamp) => Record(Stopwatch.GetElapsedTime(startTimestamp));

    public LatencySummary Summarize()
    {
        var counts = new long[_counts.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = Volatile.Read(ref _counts[i]);
        }

        var total = counts.Sum();
        double At(double q)
        {
            if (total == 0)
            {
                return 0;
            }

            var rank = Math.Max(1, (long)Math.Ceiling(q * total));
            long seen = 0;
            for (var i = 0; i < counts.Length; i++)
            {
                seen += counts[i];
                if (seen >= rank)
                {
                    return Math.Min(UpperMicroseconds(i), Interlocked.Read(ref _maxMicroseconds)) / 1000.0;
                }
            }

            return Interlocked.Read(ref _maxMicroseconds) / 1000.0;
        }

        return new LatencySummary((int)total, At(0.50), At(0.95), At(0.99), total == 0 ? 0 : Interlocked.Read(ref _maxMicroseconds) / 1000.0);
    }

    private void RecordMicroseconds(long microseconds)
    {
        Interlocked.Increment(ref _counts[Index(microseconds)]);
        var max = Interlocked.Read(ref _maxMicroseconds);
        while (microseconds > max && Interlocked.CompareExchange(ref _maxMicroseconds, microseconds, max) is var seen && seen != max)
        {
            max = seen;
        }
    }

    // Values below LinearLimit have a bucket each; above, a power of two [2^e, 2^(e+1)) is split into SubBuckets.
    private static int Index(long microseconds)
    {
        if (microseconds < LinearLimit)
        {
            return (int)microseconds;
        }

        var exponent = (int)Math.Min(63 - long.LeadingZeroCount(microseconds), MaxExponent - 1);
        var sub = (int)Math.Min(SubBuckets - 1, (microseconds >> (exponent - SubBucketBits)) - SubBuckets);
        return LinearLimit + ((exponent - 11) * SubBuckets) + sub;
    }

    private static long UpperMicroseconds(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        var exponent = ((index - LinearLimit) / SubBuckets) + 11;
        var sub = (index - LinearLimit) % SubBuckets;
        return ((SubBuckets + sub + 1L) << (exponent - SubBucketBits)) - 1;
    }
}

/// <summary>Latency percentiles in milliseconds.</summary>
internal sealed record LatencySummary(int Count, double P50, double P95, double P99, double Max);
