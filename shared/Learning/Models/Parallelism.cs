namespace ActiveLabel.Learning;

/// <summary>
/// Splits loops over independent outputs (one row, one column) across cores when there is enough work to pay for it.
/// Every output is computed by exactly one worker, so results do not depend on the number of cores.
/// </summary>
internal static class Parallelism
{
    private const long MinWorkPerWorker = 100_000;

    public static void For(int count, long work, Action<int, int> body)
    {
        var workers = (int)Math.Min(Environment.ProcessorCount, Math.Max(1, work / MinWorkPerWorker));
        workers = Math.Min(workers, Math.Max(1, count));
        if (workers == 1)
        {
            body(0, count);
            return;
        }

        Parallel.For(0, workers, w => body((int)((long)count * w / workers), (int)((long)count * (w + 1) / workers)));
    }
}
