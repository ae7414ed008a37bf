using System.Diagnostics;

namespace ActiveLabel.Alp.Annotate;

/// <summary>
/// When each annotator starts its next cycle (next item, then label). Closed loop (no rate): at once, as fast as the
/// server answers. Paced (open loop, like a person who labels at a steady speed): cycle k of annotator i is due at
/// <c>start + (i / N + k) / rate</c>, so the N annotators' cycles are spread evenly over each period instead of
/// arriving in bursts; a cycle that is late starts at once and its latency is counted from when it was due.
/// </summary>
internal sealed class Pacing(double? ratePerAnnotator, int annotators, TimeSpan? duration, long startTimestamp)
{
    private readonly long _period = ratePerAnnotator is > 0 and var rate ? (long)(Stopwatch.Frequency / rate) : 0;
    private readonly long _stopAt = duration is { } d ? startTimestamp + (long)(d.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
    private long _missed;

    /// <summary>Cycles that started more than one period after they were due.</summary>
    public long Missed => Interlocked.Read(ref _missed);

    public Schedule ForAnnotator(int index) =>
        new(this, _period == 0 ? startTimestamp : startTimestamp + (_period * index / Math.Max(1, annotators)));

    /// <summary>One annotator's due times; not thread-safe (each annotator is one sequential loop).</summary>
    internal sealed class Schedule(Pacing pacing, long firstDue)
    {
        private long _due = firstDue;

        /// <summary>False once the run's duration is over.</summary>
        public bool Continues() => Stopwatch.GetTimestamp() < pacing._stopAt;

        /// <summary>Waits until the next cycle is due and returns when it was due (now, for a closed loop).</summary>
        public async Task<long> WaitForNextAsync(CancellationToken cancellationToken)
        {
            var now = Stopwatch.GetTimestamp();
            if (pacing._period == 0)
            {
                return now;
            }

            var due = _due;
            _due += pacing._period;
            if (due > now)
            {
                await Task.Delay(Stopwatch.GetElapsedTime(now, due), cancellationToken);
            }
            else if (now - due > pacing._period)
            {
                Interlocked.Increment(ref pacing._missed);
            }

            return due;
        }
    }
}
