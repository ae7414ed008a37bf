using System.Collections.Concurrent;

namespace ActiveLabel.Alp.Annotate;

/// <summary>Collects request latencies and reports percentiles.</summary>
internal sealed class LatencyRecorder
{
    private readonly ConcurrentBag<double> _milliseconds = [];

    public void Record(TimeSpan elapsed) => _milliseconds.Add(elapsed.TotalMilliseconds);

    public LatencySummary Summarize()
    {
        var sorted = _milliseconds.Order().ToArray();
        double At(double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new LatencySummary(sorted.Length, At(0.50), At(0.95), At(0.99), sorted.Length == 0 ? 0 : sorted[^1]);
    }
}

/// <summary>Latency percentiles in milliseconds.</summary>
internal sealed record LatencySummary(int Count, double P50, double P95, double P99, double Max);
