namespace ActiveLabel.Learning.Tests;

public sealed class FeaturizationTests
{
    private static float[] SortedRowValues(FeatureMatrix matrix, int row)
    {
        var values = matrix.RowValues(row).ToArray();
        Array.Sort(values);
        return values;
    }

    [Fact]
    public void Should_match_scikit_learn_tfidf_values_on_a_small_corpus()
    {
        // Expected values from scikit-learn 1.2.1: TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), each row sorted.
        string[] docs = ["The cat sat on the mat.", "The dog sat on the log, the DOG!", "Cats and dogs: a café naïve ÜBER story"];
        double[][] expected =
        [
            [0.253908, 0.253908, 0.253908, 0.253908, 0.333858, 0.333858, 0.333858, 0.333858, 0.333858, 0.429903],
            [0.199076, 0.199076, 0.199076, 0.199076, 0.261762, 0.261762, 0.261762, 0.261762, 0.417784, 0.443201, 0.443201],
            [.. Enumerable.Repeat(0.27735, 13)],
        ];

        var featurizer = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts(docs));
        var matrix = featurizer.Transform(ItemTable.FromTexts(docs));

        Assert.Equal(29, featurizer.FeatureCount);
        for (var row = 0; row < docs.Length; row++)
        {
            var actual = SortedRowValues(matrix, row);
            Assert.Equal(expected[row].Length, actual.Length);
            for (var i = 0; i < actual.Length; i++)
            {
                Assert.Equal(expected[row][i], actual[i], 5);
            }
        }
    }

    [Fact]
    public void Should_lowercase_unicode_words_and_count_repeats_as_one_feature()
    {
        var featurizer = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts(["Café NAÏVE café"]), TextFeaturizerOptions.Counts);

        var row = featurizer.Transform(ItemTable.FromTexts(["Café NAÏVE café"]));

        // café, naïve, "café naïve", "naïve café": café counted twice.
        Assert.Equal(4, featurizer.FeatureCount);
        Assert.Equal([1f, 1f, 1f, 2f], SortedRowValues(row, 0));
    }

    [Fact]
    public void Should_drop_english_stop_words_before_forming_ngrams()
    {
        var options = TextFeaturizerOptions.Counts with { RemoveEnglishStopWords = true };

        var featurizer = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts(["the cat and the hat"]), options);

        // cat, hat, "cat hat".
        Assert.Equal(3, featurizer.FeatureCount);
    }

    [Fact]
    public void Should_add_character_ngrams_of_padded_words_when_asked()
    {
        var options = TextFeaturizerOptions.Counts with { MaxWordNgram = 0, MinCharNgram = 3, MaxCharNgram = 3 };

        var featurizer = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts(["abc"]), options);

        // " ab", "abc", "bc ".
        Assert.Equal(3, featurizer.FeatureCount);
    }

    [Fact]
    public void Should_hash_unseen_words_into_a_fixed_width_when_hashing()
    {
        var hashing = new TextFeaturizerOptions { UseHashing = true, HashBits = 12 };
        var hashed = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts(["known words"]), hashing);
        var learned = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts(["known words"]));

        var unseen = ItemTable.FromTexts(["brand new vocabulary"]);

        Assert.Equal(4096, hashed.FeatureCount);
        Assert.Equal(5, hashed.Transform(unseen).NonZeroCount);
        Assert.Equal(0, learned.Transform(unseen).NonZeroCount);
    }

    [Fact]
    public void Should_scale_every_text_row_to_unit_length()
    {
        var (texts, _) = TestData.Clickbait;
        var sample = texts.Take(500).ToArray();
        var matrix = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts(sample)).Transform(ItemTable.FromTexts(sample));

        for (var row = 0; row < matrix.RowCount; row++)
        {
            Assert.Equal(1.0, Math.Sqrt(matrix.SquaredNorm(row)), 5);
        }
    }

    [Fact]
    public void Should_featurize_a_large_table_in_parallel_exactly_as_item_by_item()
    {
        var (texts, _) = TestData.Clickbait;
        var pool = texts.Take(10_000).ToArray();
        var featurizer = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts(pool));

        var all = featurizer.Transform(ItemTable.FromTexts(pool));

        foreach (var row in new[] { 0, 4095, 4096, 9999 })
        {
            var single = featurizer.Transform(ItemTable.FromTexts([pool[row]]));
            Assert.Equal(all.RowColumns(row).ToArray(), single.RowColumns(0).ToArray());
            Assert.Equal(all.RowValues(row).ToArray(), single.RowValues(0).ToArray());
        }
    }

    [Fact]
    public void Should_standardise_numbers_impute_missing_values_and_flag_them()
    {
        var table = new ItemTable(new Dictionary<string, IReadOnlyList<string?>>
        {
            ["x"] = ["1", "3", "", "NA"],
        });

        var featurizer = Featurizer.Fit(FeatureSchema.Numeric("x"), table);
        var matrix = featurizer.Transform(table);

        // Mean 2, population std 1; missing rows get 0 (the mean) and the indicator column.
        Assert.Equal(2, featurizer.FeatureCount);
        Assert.Equal([-1f], matrix.RowValues(0).ToArray());
        Assert.Equal([1f], matrix.RowValues(1).ToArray());
        Assert.Equal([1], matrix.RowColumns(2).ToArray());
        Assert.Equal([1f], matrix.RowValues(3).ToArray());
    }

    [Fact]
    public void Should_one_hot_encode_categories_and_ignore_unseen_ones()
    {
        var schema = new FeatureSchema([], [], ["color"]);
        var featurizer = Featurizer.Fit(schema, new ItemTable(new Dictionary<string, IReadOnlyList<string?>> { ["color"] = ["red", "white", "red"] }));

        var matrix = featurizer.Transform(new ItemTable(new Dictionary<string, IReadOnlyList<string?>> { ["color"] = ["white", "rosé"] }));

        Assert.Equal(2, featurizer.FeatureCount);
        Assert.Equal([1], matrix.RowColumns(0).ToArray());
        Assert.Equal(0, matrix.RowColumns(1).Length);
    }

    [Fact]
    public void Should_reject_a_non_numeric_value_in_a_numeric_column_naming_column_and_row()
    {
        var table = new ItemTable(new Dictionary<string, IReadOnlyList<string?>> { ["alcohol"] = ["9.4", "strong"] });

        var error = Assert.Throws<DataFormatException>(() => Featurizer.Fit(FeatureSchema.Numeric("alcohol"), table));

        Assert.Contains("'alcohol'", error.Message, StringComparison.Ordinal);
        Assert.Contains("row 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_reject_a_schema_column_missing_from_the_table()
    {
        var error = Assert.Throws<DataFormatException>(() => Featurizer.Fit(FeatureSchema.Text("body"), ItemTable.FromTexts(["x"])));

        Assert.Contains("'body'", error.Message, StringComparison.Ordinal);
    }
}
