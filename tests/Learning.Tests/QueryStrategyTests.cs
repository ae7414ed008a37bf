namespace ActiveLabel.Learning.Tests;

public sealed class QueryStrategyTests
{
    private static readonly Lazy<(FeatureMatrix Pool, Classifier Model, int[] LabeledRows, int[] LabeledClasses)> Clickbait = new(() =>
    {
        var (texts, labels) = TestData.Clickbait;
        var order = TestData.Permutation(texts.Length, 11)[..12_000];
        var pool = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts([.. order.Select(i => texts[i])]))
            .Transform(ItemTable.FromTexts([.. order.Select(i => texts[i])]));
        var labeledRows = Enumerable.Range(0, 300).ToArray();
        var classes = labeledRows.Select(r => labels[order[r]] == "clickbait" ? 1 : 0).ToArray();
        return (pool, Classifier.Fit(pool, labeledRows, classes, 2, new TrainingOptions()), labeledRows, classes);
    });

    private static QueryContext ClickbaitContext(int seed = 0)
    {
        var (pool, model, labeledRows, classes) = Clickbait.Value;
        return new QueryContext
        {
            Pool = pool,
            Model = model,
            Candidates = [.. Enumerable.Range(300, pool.RowCount - 300)],
            Labeled = pool,
            LabeledRows = labeledRows,
            LabeledClasses = classes,
            Seed = seed,
        };
    }

    [Fact]
    public void Should_rank_binary_pool_identically_for_all_uncertainty_strategies()
    {
        var context = ClickbaitContext();

        var rankings = new[] { QueryStrategies.LeastConfidence, QueryStrategies.SmallestMargin, QueryStrategies.Entropy }
            .Select(name => QueryStrategies.Get(name).Rank(context, 2000).Select(item => item.ItemIndex).ToArray())
            .ToArray();

        Assert.Equal(2000, rankings[0].Length);
        Assert.Equal(rankings[0], rankings[1]);
        Assert.Equal(rankings[0], rankings[2]);
    }

    [Theory]
    [InlineData(new[] { 1.0 / 3, 1.0 / 3, 1.0 / 3 }, 1.0, 1.0, 1.0)]
    [InlineData(new[] { 1.0, 0.0, 0.0 }, 0.0, 0.0, 0.0)]
    [InlineData(new[] { 0.5, 0.5, 0.0 }, 0.75, 1.0, 0.63092975357145742)]
    [InlineData(new[] { 0.7, 0.3 }, 0.6, 0.6, 0.88129089923069257)]
    public void Should_normalise_uncertainty_to_the_unit_interval_with_entropy_over_log_class_count(double[] p, double leastConfidence, double margin, double entropy)
    {
        Assert.Equal(leastConfidence, Uncertainty.LeastConfidence(p), 12);
        Assert.Equal(margin, Uncertainty.Margin(p), 12);
        Assert.Equal(entropy, Uncertainty.Entropy(p), 12);
    }

    [Fact]
    public void Should_pick_the_items_closest_to_the_decision_boundary()
    {
        // One feature, model p(1) = sigmoid(x - 0.5): the items at 0.4 and 0.6 are the most uncertain.
        var train = FeatureMatrix.FromDense([[0.0], [0.2], [0.8], [1.0]]);
        var model = Classifier.Fit(train, [0, 0, 1, 1], 2, new TrainingOptions { C = 100 });
        var pool = FeatureMatrix.FromDense([[0.05], [0.4], [0.95], [0.6], [0.3]]);

        var picked = QueryStrategies.Get(QueryStrategies.Entropy).Rank(new QueryContext { Pool = pool, Model = model }, 2);

        Assert.Equal([1, 3], picked.Select(p => p.ItemIndex).Order());
        Assert.Equal([0, 1], picked.Select(p => p.Rank));
        Assert.True(picked[0].Score >= picked[1].Score);
    }

    [Theory]
    [InlineData(QueryStrategies.Random)]
    [InlineData(QueryStrategies.LeastConfidence)]
    [InlineData(QueryStrategies.SmallestMargin)]
    [InlineData(QueryStrategies.Entropy)]
    [InlineData(QueryStrategies.CommitteeVoteEntropy)]
    [InlineData(QueryStrategies.CommitteeKl)]
    [InlineData(QueryStrategies.Diversity)]
    [InlineData(QueryStrategies.DensityWeighted)]
    public void Should_return_distinct_candidates_best_first_with_scores_in_the_unit_interval(string name)
    {
        var context = ClickbaitContext();

        var picked = QueryStrategies.Get(name).Rank(context, 100);

        Assert.Equal(100, picked.Count);
        Assert.Equal(100, picked.Select(p => p.ItemIndex).Distinct().Count());
        Assert.All(picked, p => Assert.InRange(p.ItemIndex, 300, context.Pool.RowCount - 1));
        Assert.All(picked, p => Assert.InRange(p.Score, 0.0, 1.0));
        Assert.Equal(Enumerable.Range(0, 100), picked.Select(p => p.Rank));
    }

    [Theory]
    [InlineData(QueryStrategies.Random)]
    [InlineData(QueryStrategies.Entropy)]
    [InlineData(QueryStrategies.Diversity)]
    [InlineData(QueryStrategies.DensityWeighted)]
    [InlineData(QueryStrategies.CommitteeKl)]
    public void Should_start_cold_without_a_model(string name)
    {
        var context = ClickbaitContext() with { Model = null, LabeledClasses = null };

        var picked = QueryStrategies.Get(name).Rank(context, 50);

        Assert.Equal(50, picked.Select(p => p.ItemIndex).Distinct().Count());
    }

    [Fact]
    public void Should_rank_the_parallel_top_k_exactly_as_a_full_sort()
    {
        var context = ClickbaitContext();
        var expected = BestByFullSort(context, Uncertainty.Margin, 500).Select(x => x.Row);

        var actual = QueryStrategies.Get(QueryStrategies.SmallestMargin).Rank(context, 500).Select(p => p.ItemIndex);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Should_draw_the_same_random_batch_for_a_seed_and_another_for_another_seed()
    {
        var random = QueryStrategies.Get(QueryStrategies.Random);

        var first = random.Rank(ClickbaitContext(seed: 1), 20).Select(p => p.ItemIndex);
        var again = random.Rank(ClickbaitContext(seed: 1), 20).Select(p => p.ItemIndex);
        var other = random.Rank(ClickbaitContext(seed: 2), 20).Select(p => p.ItemIndex);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Should_keep_near_duplicates_out_of_a_diversity_batch()
    {
        // Ten copies of the most uncertain text plus distinct, slightly less uncertain ones.
        string[] texts =
        [
            .. Enumerable.Repeat("check out my channel please", 10),
            "subscribe to my channel for free gifts", "great song love it", "this video is amazing",
            "visit my site for cheap deals", "who is watching in 2015", "best music ever made",
        ];
        var featurizer = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts(texts));
        var pool = featurizer.Transform(ItemTable.FromTexts(texts));
        var model = Classifier.Fit(pool, [10, 11, 12, 13], [1, 0, 0, 1], 2, new TrainingOptions());
        var context = new QueryContext { Pool = pool, Model = model };

        var entropyBatch = QueryStrategies.Get(QueryStrategies.Entropy).Rank(context, 5);
        var diverseBatch = QueryStrategies.Get(QueryStrategies.Diversity).Rank(context, 5);

        Assert.True(entropyBatch.Count(p => p.ItemIndex < 10) > 1);
        Assert.Equal(1, diverseBatch.Count(p => p.ItemIndex < 10));
    }

    [Fact]
    public void Should_grow_a_diversity_batch_greedily_by_uncertainty_times_cosine_distance_to_the_batch()
    {
        // The reference, computed the slow and obvious way: the 600 most uncertain candidates (ten per item asked), and
        // at each step the one with the highest entropy × min(1, cosine distance to every member chosen so far).
        const int count = 60;
        var context = ClickbaitContext();
        var pool = Clickbait.Value.Pool;
        var shortlist = BestByFullSort(context, Uncertainty.Entropy, count * 10);

        var batch = QueryStrategies.Get(QueryStrategies.Diversity).Rank(context, count);

        var chosen = new List<int>();
        foreach (var member in batch)
        {
            double Score((double Score, int Row) candidate) =>
                candidate.Score * chosen.Select(row => Math.Clamp(1 - Cosine(pool, candidate.Row, row), 0, 1)).DefaultIfEmpty(1).Min();

            var best = shortlist.Where(c => !chosen.Contains(c.Row)).Max(Score);
            var picked = shortlist.Single(c => c.Row == member.ItemIndex);
            Assert.Equal(best, Score(picked), 9);
            Assert.Equal(best, member.Score, 9);
            chosen.Add(member.ItemIndex);
        }

        Assert.Equal(count, chosen.Distinct().Count());
    }

    private delegate double ProbabilityScore(ReadOnlySpan<double> probabilities);

    /// <summary>The candidates' scores under the fixture's model, best first (ties by row), by sorting them all.</summary>
    private static (double Score, int Row)[] BestByFullSort(QueryContext context, ProbabilityScore score, int count)
    {
        var (pool, model, _, _) = Clickbait.Value;
        return [.. context.Candidates!
            .Select(row =>
            {
                Span<double> p = stackalloc double[2];
                model.PredictProba(pool, row, p);
                return (Score: score(p), Row: row);
            })
            .OrderByDescending(x => x.Score).ThenBy(x => x.Row).Take(count)];
    }

    private static double Cosine(FeatureMatrix pool, int a, int b)
    {
        var dense = new Dictionary<int, double>();
        var aColumns = pool.RowColumns(a);
        var aValues = pool.RowValues(a);
        for (var e = 0; e < aColumns.Length; e++)
        {
            dense[aColumns[e]] = aValues[e];
        }

        var bColumns = pool.RowColumns(b);
        var bValues = pool.RowValues(b);
        var dot = 0.0;
        for (var e = 0; e < bColumns.Length; e++)
        {
            dot += dense.GetValueOrDefault(bColumns[e]) * bValues[e];
        }

        var norms = Math.Sqrt(aValues.ToArray().Sum(v => (double)v * v)) * Math.Sqrt(bValues.ToArray().Sum(v => (double)v * v));
        return norms > 0 ? dot / norms : 0;
    }

    [Fact]
    public void Should_refuse_committee_queries_without_the_labeled_set()
    {
        var context = ClickbaitContext() with { Labeled = null };

        Assert.Throws<InvalidOperationException>(() => QueryStrategies.Get(QueryStrategies.CommitteeKl).Rank(context, 10));
    }

    [Fact]
    public void Should_list_every_strategy_name_in_an_unknown_name_error()
    {
        var error = Assert.Throws<ArgumentException>(() => QueryStrategies.Get("smallest_confidence"));

        Assert.Equal(8, QueryStrategies.Names.Count);
        Assert.All(QueryStrategies.Names, name => Assert.Contains(name, error.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Should_derive_the_same_seeds_in_every_process()
    {
        // HashCode.Combine is randomised per process; the seeds of random batches and bootstraps must not be.
        Assert.Equal(PoolRanking.StableSeed(0, 1, 2), PoolRanking.StableSeed(0, 1, 2));
        Assert.Equal(69947393, PoolRanking.StableSeed(0, 1, 2));
        Assert.NotEqual(PoolRanking.StableSeed(0, 1, 2), PoolRanking.StableSeed(0, 2, 1));
    }
}
