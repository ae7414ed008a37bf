namespace ActiveLabel.Learning;

/// <summary>Uniformly random items (seeded): the baseline every other strategy is measured against.</summary>
internal sealed class RandomStrategy : IQueryStrategy
{
    public string Name => QueryStrategies.Random;

    public IReadOnlyList<RankedItem> Rank(QueryContext context, int count) =>
        PoolRanking.Top(context, count, 1, (row, _) => PoolRanking.RandomKey(context.Seed, row));
}

/// <summary>The items whose predicted class probabilities are most uncertain by one of the <see cref="Uncertainty"/> measures.</summary>
internal sealed class UncertaintyStrategy(string name, Func<ReadOnlySpan<double>, double> measure) : IQueryStrategy
{
    public string Name { get; } = name;

    public IReadOnlyList<RankedItem> Rank(QueryContext context, int count)
    {
        if (context.Model is null)
        {
            return DiversityStrategy.ColdStart(context, count);
        }

        var model = PoolRanking.RequireModel(context);
        var pool = context.Pool;
        return PoolRanking.Top(context, count, model.ClassCount, (row, p) =>
        {
            model.Probabilities(pool, row, p);
            return measure(p);
        });
    }
}

/// <summary>
/// Uncertainty weighted by representativeness (Settles and Craven 2008): entropy times the cosine similarity of the
/// item to the centroid of the pool's unit-length rows, which equals its mean cosine similarity to the pool. Outliers
/// that are uncertain only because they are odd are passed over.
/// </summary>
internal sealed class DensityWeightedStrategy : IQueryStrategy
{
    public string Name => QueryStrategies.DensityWeighted;

    public IReadOnlyList<RankedItem> Rank(QueryContext context, int count)
    {
        if (context.Model is null)
        {
            return DiversityStrategy.ColdStart(context, count);
        }

        var model = PoolRanking.RequireModel(context);
        var pool = context.Pool;
        var centroid = UnitCentroid(pool);
        return PoolRanking.Top(context, count, model.ClassCount, (row, p) =>
        {
            model.Probabilities(pool, row, p);
            var norm = Math.Sqrt(pool.SquaredNorm(row));
            var similarity = norm > 0 ? Math.Max(0, pool.Dot(row, centroid) / norm) : 0;
            return Uncertainty.Entropy(p) * Math.Min(1, similarity);
        });
    }

    /// <summary>The mean of the unit-length rows, itself scaled to unit length.</summary>
    private static float[] UnitCentroid(FeatureMatrix pool)
    {
        var sum = new double[pool.ColumnCount];
        for (var row = 0; row < pool.RowCount; row++)
        {
            var norm = Math.Sqrt(pool.SquaredNorm(row));
            if (norm == 0)
            {
                continue;
            }

            var columns = pool.RowColumns(row);
            var values = pool.RowValues(row);
            for (var e = 0; e < columns.Length; e++)
            {
                sum[columns[e]] += values[e] / norm;
            }
        }

        var length = Math.Sqrt(sum.Sum(v => v * v));
        return [.. sum.Select(v => length > 0 ? (float)(v / length) : 0f)];
    }
}

/// <summary>
/// Query by committee: members trained on stratified bootstrap samples of the labeled set (bagging) score each
/// candidate. Vote entropy: entropy of the members' votes over classes; mean KL: the mean Kullback-Leibler divergence of
/// each member's distribution from the committee's mean. Both divided by log(number of classes).
/// </summary>
internal sealed class CommitteeStrategy(string name, bool useKl) : IQueryStrategy
{
    public const int Members = 5;

    public string Name { get; } = name;

    public IReadOnlyList<RankedItem> Rank(QueryContext context, int count)
    {
        if (context.Model is null && context.LabeledClasses is null)
        {
            return DiversityStrategy.ColdStart(context, count);
        }

        var labeled = context.Labeled ?? throw new InvalidOperationException($"Strategy '{Name}' needs the labeled set (QueryContext.Labeled and LabeledClasses).");
        var classes = context.LabeledClasses ?? throw new InvalidOperationException($"Strategy '{Name}' needs QueryContext.LabeledClasses.");
        var rows = context.LabeledRows ?? [.. Enumerable.Range(0, labeled.RowCount)];
        var classCount = context.Model?.ClassCount ?? Math.Max(2, classes.Max() + 1);
        var committee = TrainCommittee(labeled, rows, classes, classCount, context);
        var pool = context.Pool;
        var logClasses = Math.Log(classCount);
        return PoolRanking.Top(context, count, classCount * (Members + 1), (row, scratch) =>
        {
            var consensus = scratch[..classCount];
            consensus.Clear();
            for (var m = 0; m < Members; m++)
            {
                var p = scratch.Slice(classCount * (m + 1), classCount);
                committee[m].Probabilities(pool, row, p);
                for (var k = 0; k < classCount; k++)
                {
                    consensus[k] += p[k] / Members;
                }
            }

            return useKl ? MeanKl(scratch, classCount) / logClasses : VoteEntropy(scratch, classCount, logClasses);
        });
    }

    private static Classifier[] TrainCommittee(FeatureMatrix labeled, int[] rows, int[] classes, int classCount, QueryContext context)
    {
        var byClass = Enumerable.Range(0, rows.Length).GroupBy(i => classes[i]).Select(g => g.ToArray()).ToArray();
        var members = new Classifier[Members];
        Parallel.For(0, Members, m =>
        {
            // Stratified bootstrap: every class keeps its count, so no member loses a class.
            var random = new Random(PoolRanking.StableSeed(context.Seed, m, 0x5EED));
            var sampleRows = new List<int>(rows.Length);
            var sampleClasses = new List<int>(rows.Length);
            foreach (var group in byClass)
            {
                for (var i = 0; i < group.Length; i++)
                {
                    var pick = group[random.Next(group.Length)];
                    sampleRows.Add(rows[pick]);
                    sampleClasses.Add(classes[pick]);
                }
            }

            members[m] = Classifier.Fit(labeled, [.. sampleRows], [.. sampleClasses], classCount, context.Training);
        });
        return members;
    }

    private static double VoteEntropy(ReadOnlySpan<double> scratch, int classCount, double logClasses)
    {
        Span<int> votes = stackalloc int[classCount];
        for (var m = 0; m < Members; m++)
        {
            var p = scratch.Slice(classCount * (m + 1), classCount);
            var best = 0;
            for (var k = 1; k < classCount; k++)
            {
                best = p[k] > p[best] ? k : best;
            }

            votes[best]++;
        }

        var entropy = 0.0;
        foreach (var v in votes)
        {
            if (v > 0)
            {
                entropy -= v / (double)Members * Math.Log(v / (double)Members);
            }
        }

        // Votes take few distinct values; the consensus entropy, scaled far below one vote step, breaks the ties.
        return Math.Min(1, (entropy / logClasses) + (1e-3 * Uncertainty.Entropy(scratch[..classCount])));
    }

    private static double MeanKl(ReadOnlySpan<double> scratch, int classCount)
    {
        var consensus = scratch[..classCount];
        var sum = 0.0;
        for (var m = 0; m < Members; m++)
        {
            var p = scratch.Slice(classCount * (m + 1), classCount);
            for (var k = 0; k < classCount; k++)
            {
                if (p[k] > 0 && consensus[k] > 0)
                {
                    sum += p[k] * Math.Log(p[k] / consensus[k]);
                }
            }
        }

        return Math.Max(0, sum / Members);
    }
}
