namespace ActiveLabel.Learning;

/// <summary>
/// A batch that is uncertain and spread out, so that annotators working in parallel do not label near-duplicates.
/// The most uncertain candidates (ten per requested item, by entropy) are shortlisted; the batch then grows greedily,
/// k-center style: each next item maximises uncertainty × min(1, cosine distance to the items already in the batch).
/// An exact duplicate of a batch item scores zero. Without a model (cold start) uncertainty is 1 for a random shortlist,
/// which makes this a plain k-center greedy cover of a random sample.
/// </summary>
internal sealed class DiversityStrategy : IQueryStrategy
{
    private const int ShortlistPerItem = 10;
    private const int MinimumShortlist = 200;

    public string Name => QueryStrategies.Diversity;

    public IReadOnlyList<RankedItem> Rank(QueryContext context, int count)
    {
        if (context.Model is null)
        {
            return ColdStart(context, count);
        }

        var model = PoolRanking.RequireModel(context);
        var pool = context.Pool;
        var shortlist = PoolRanking.Top(context, ShortlistSize(context, count), model.ClassCount, (row, p) =>
        {
            model.Probabilities(pool, row, p);
            return Uncertainty.Entropy(p);
        });
        return Spread(pool, shortlist, count);
    }

    /// <summary>The cold-start batch: k-center greedy over a random shortlist.</summary>
    public static RankedItem[] ColdStart(QueryContext context, int count)
    {
        var shortlist = PoolRanking.Top(context, ShortlistSize(context, count), 1, (row, _) => PoolRanking.RandomKey(context.Seed, row));
        return Spread(context.Pool, [.. shortlist.Select(item => item with { Score = 1.0 })], count);
    }

    private static int ShortlistSize(QueryContext context, int count) =>
        (int)Math.Min(context.CandidateCount, Math.Max(MinimumShortlist, (long)count * ShortlistPerItem));

    private static RankedItem[] Spread(FeatureMatrix pool, RankedItem[] shortlist, int count)
    {
        var n = shortlist.Length;
        var distance = new double[n];
        Array.Fill(distance, 1.0);
        var norms = shortlist.Select(item => Math.Sqrt(pool.SquaredNorm(item.ItemIndex))).ToArray();
        var taken = new bool[n];
        var dense = new float[pool.ColumnCount];
        var result = new List<RankedItem>(Math.Min(count, n));
        while (result.Count < Math.Min(count, n))
        {
            var best = -1;
            var bestScore = double.NegativeInfinity;
            for (var i = 0; i < n; i++)
            {
                var score = shortlist[i].Score * distance[i];
                if (!taken[i] && score > bestScore)
                {
                    best = i;
                    bestScore = score;
                }
            }

            taken[best] = true;
            result.Add(new RankedItem(shortlist[best].ItemIndex, bestScore, result.Count));
            UpdateDistances(pool, shortlist, norms, taken, distance, dense, best);
        }

        return [.. result];
    }

    /// <summary>Lowers each remaining candidate's distance to the batch with its cosine distance to the new member.</summary>
    private static void UpdateDistances(FeatureMatrix pool, RankedItem[] shortlist, double[] norms, bool[] taken, double[] distance, float[] dense, int chosen)
    {
        var row = shortlist[chosen].ItemIndex;
        var columns = pool.RowColumns(row);
        var values = pool.RowValues(row);
        var scale = norms[chosen] > 0 ? 1.0 / norms[chosen] : 0;
        for (var e = 0; e < columns.Length; e++)
        {
            dense[columns[e]] = (float)(values[e] * scale);
        }

        for (var i = 0; i < shortlist.Length; i++)
        {
            if (!taken[i])
            {
                var cosine = norms[i] > 0 ? pool.Dot(shortlist[i].ItemIndex, dense) / norms[i] : 0;
                distance[i] = Math.Min(distance[i], Math.Clamp(1 - cosine, 0, 1));
            }
        }

        foreach (var c in columns)
        {
            dense[c] = 0;
        }
    }
}
