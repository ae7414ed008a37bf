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
        var taken = new bool[n];
        var similarity = new ShortlistSimilarity(pool, shortlist);
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
            similarity.LowerDistances(best, taken, distance);
        }

        return [.. result];
    }

    /// <summary>
    /// Cosine similarities within the shortlist through an inverted index (per column, the candidates that have it,
    /// with their unit-length values): a new batch member meets only the candidates that share a column with it.
    /// On text a row has a handful of the many n-gram columns, so this reads a small part of what one dot product per
    /// candidate would (1M-item pool, 2,000 queries: 20,000 candidates × 2,000 members); on dense rows it reads the same.
    /// </summary>
    private sealed class ShortlistSimilarity
    {
        private readonly int[] rowStarts;
        private readonly int[] rowColumns;
        private readonly double[] rowWeights;
        private readonly int[] columnStarts;
        private readonly int[] members;
        private readonly double[] weights;
        private readonly double[] dot;
        private readonly List<int> touched = [];

        public ShortlistSimilarity(FeatureMatrix pool, RankedItem[] shortlist)
        {
            // The shortlist's rows scaled to unit length, and the same entries grouped by column.
            var n = shortlist.Length;
            rowStarts = new int[n + 1];
            for (var i = 0; i < n; i++)
            {
                rowStarts[i + 1] = rowStarts[i] + pool.RowColumns(shortlist[i].ItemIndex).Length;
            }

            rowColumns = new int[rowStarts[n]];
            rowWeights = new double[rowStarts[n]];
            columnStarts = new int[pool.ColumnCount + 1];
            for (var i = 0; i < n; i++)
            {
                var row = shortlist[i].ItemIndex;
                var norm = Math.Sqrt(pool.SquaredNorm(row));
                var scale = norm > 0 ? 1.0 / norm : 0;
                var columns = pool.RowColumns(row);
                var values = pool.RowValues(row);
                for (var e = 0; e < columns.Length; e++)
                {
                    rowColumns[rowStarts[i] + e] = columns[e];
                    rowWeights[rowStarts[i] + e] = values[e] * scale;
                    columnStarts[columns[e] + 1]++;
                }
            }

            for (var c = 0; c < pool.ColumnCount; c++)
            {
                columnStarts[c + 1] += columnStarts[c];
            }

            members = new int[rowStarts[n]];
            weights = new double[rowStarts[n]];
            var next = columnStarts[..^1];
            for (var i = 0; i < n; i++)
            {
                for (var e = rowStarts[i]; e < rowStarts[i + 1]; e++)
                {
                    var at = next[rowColumns[e]]++;
                    members[at] = i;
                    weights[at] = rowWeights[e];
                }
            }

            dot = new double[n];
        }

        /// <summary>Lowers each remaining candidate's distance to the batch with its cosine distance to the new member.</summary>
        public void LowerDistances(int chosen, bool[] taken, double[] distance)
        {
            for (var e = rowStarts[chosen]; e < rowStarts[chosen + 1]; e++)
            {
                var weight = rowWeights[e];
                var column = rowColumns[e];
                for (var p = columnStarts[column]; p < columnStarts[column + 1]; p++)
                {
                    var i = members[p];
                    if (dot[i] == 0)
                    {
                        touched.Add(i);
                    }

                    dot[i] += weight * weights[p];
                }
            }

            // A candidate that shares no column has cosine 0, distance 1: nothing to lower.
            foreach (var i in touched)
            {
                if (!taken[i])
                {
                    distance[i] = Math.Min(distance[i], Math.Clamp(1 - dot[i], 0, 1));
                }

                dot[i] = 0;
            }

            touched.Clear();
        }
    }
}
