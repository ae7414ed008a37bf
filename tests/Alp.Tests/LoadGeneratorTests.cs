using System.Diagnostics;
using ActiveLabel.Alp.Annotate;

namespace ActiveLabel.Alp.Tests;

public sealed class LoadGeneratorTests
{
    [Fact]
    public void Latency_percentiles_should_be_within_the_histograms_precision_of_the_exact_ones()
    {
        var recorder = new LatencyRecorder();
        var random = new Random(7);
        var samples = Enumerable.Range(0, 100_000).Select(_ => Math.Exp(random.NextDouble() * 8) * 0.05).ToArray(); // 0.05 ms to 150 ms
        foreach (var ms in samples)
        {
            recorder.Record(TimeSpan.FromMilliseconds(ms));
        }

        var summary = recorder.Summarize();

        Array.Sort(samples);
        double Exact(double q) => samples[(int)Math.Ceiling(q * samples.Length) - 1];
        Assert.Equal(samples.Length, summary.Count);
        foreach (var (q, reported) in new[] { (0.50, summary.P50), (0.95, summary.P95), (0.99, summary.P99) })
        {
            // One bucket is at most 1/64 of its value wide above 2 ms and 1 µs below.
            Assert.InRange(reported, Exact(q) - 0.001, (Exact(q) * (1 + (1.0 / 64))) + 0.001);
        }

        Assert.Equal(samples[^1], summary.Max, 0.001);
    }

    [Fact]
    public void An_empty_recorder_should_report_zeros()
    {
        Assert.Equal(new LatencySummary(0, 0, 0, 0, 0), new LatencyRecorder().Summarize());
    }

    [Fact]
    public async Task Paced_annotators_should_be_spread_over_the_period_and_a_late_cycle_should_count_from_when_it_was_due()
    {
        var start = Stopwatch.GetTimestamp();
        var pacing = new Pacing(ratePerAnnotator: 10, annotators: 4, duration: null, startTimestamp: start);
        var period = Stopwatch.Frequency / 10;

        var firstDue = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            firstDue.Add(await pacing.ForAnnotator(i).WaitForNextAsync(CancellationToken.None) - start);
        }

        // Annotator i starts i/N of a period after the first: 0, 25, 50 and 75 ms at 10 labels/s.
        Assert.Equal([0, period / 4, period / 2, period * 3 / 4], firstDue);

        // A schedule that fell behind (a run that started a second ago at 1,000 cycles/s) starts each cycle at once but
        // reports when it was due, so the wait counts in the latency, and counts it as missed.
        var past = Stopwatch.GetTimestamp() - Stopwatch.Frequency;
        var behind = new Pacing(ratePerAnnotator: 1000, annotators: 1, duration: null, startTimestamp: past);
        var late = behind.ForAnnotator(0);
        Assert.Equal(past, await late.WaitForNextAsync(CancellationToken.None));
        Assert.Equal(past + (Stopwatch.Frequency / 1000), await late.WaitForNextAsync(CancellationToken.None));
        Assert.Equal(2, behind.Missed);
    }

    [Fact]
    public void A_closed_loop_should_start_at_once_and_stop_when_the_duration_is_over()
    {
        var open = new Pacing(ratePerAnnotator: null, annotators: 2, duration: TimeSpan.FromHours(1), startTimestamp: Stopwatch.GetTimestamp()).ForAnnotator(1);
        var over = new Pacing(ratePerAnnotator: null, annotators: 2, duration: TimeSpan.FromSeconds(1), startTimestamp: Stopwatch.GetTimestamp() - (2 * Stopwatch.Frequency)).ForAnnotator(0);

        Assert.True(open.Continues());
        Assert.False(over.Continues());
    }
}
