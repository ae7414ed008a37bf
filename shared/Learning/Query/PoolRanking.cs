namespace ActiveLabel.Learning;

/// <summary>Scores one pool row; the span is per-worker scratch of the requested length.</summary>
internal delegate double RowScorer(int row, Span<double> scratch);

/// <summary>Scores every candidate in parallel and keeps the best k, without materialising the scores.</summary>
internal static class PoolRanking
{
    public static RankedItem[] Top(QueryContext context, int count, int scratchLength, RowScorer scorer)
    {
        var heaps = new List<TopK>();
        var n = context.CandidateCount;
        Parallelism.For(n, Math.Max(n, (long)context.Pool.NonZeroCount), (start, end) =>
        {
            var heap = new TopK(count);
            Span<double> scratch = stackalloc double[scratchLength];
            for (var i = start; i < end; i++)
            {
                var row = context.CandidateRow(i);
                heap.Offer(scorer(row, scratch), row);
            }

            lock (heaps)
            {
                heaps.Add(heap);
            }
        });

        var merged = new TopK(count);
        foreach (var heap in heaps)
        {
            merged.Merge(heap);
        }

        return ToRanked(merged.Sorted());
    }

    public static RankedItem[] ToRanked((double Score, int Row)[] sorted) =>
        [.. sorted.Select((item, rank) => new RankedItem(item.Row, item.Score, rank))];

    public static Classifier RequireModel(QueryContext context)
    {
        var model = context.Model ?? throw new InvalidOperationException("This strategy needs a model.");
        return model.FeatureCount == context.Pool.ColumnCount
            ? model
            : throw new ArgumentException($"The pool has {context.Pool.ColumnCount} features; the model expects {model.FeatureCount}.");
    }

    /// <summary>
    /// Mixes numbers into a seed that is the same in every process (<see cref="HashCode"/> is randomised per process,
    /// which would make runs irreproducible).
    /// </summary>
    public static int StableSeed(params ReadOnlySpan<int> parts)
    {
        var h = 0x243F6A8885A308D3UL;
        foreach (var part in parts)
        {
            h = TokenHash.Mix(h ^ (uint)part);
        }

        return (int)(h & int.MaxValue);
    }

    /// <summary>A uniform number in [0, 1) determined by the seed and the row alone.</summary>
    public static double RandomKey(int seed, int row) =>
        (TokenHash.Mix(((ulong)(uint)seed << 32) ^ (uint)row ^ 0xD1B54A32D192ED03UL) >> 11) * (1.0 / (1UL << 53));
}
