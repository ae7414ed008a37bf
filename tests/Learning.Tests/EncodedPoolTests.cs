namespace ActiveLabel.Learning.Tests;

public sealed class EncodedPoolTests
{
    public static TheoryData<string> TextOptionNames => ["default", "counts", "chars and stop words", "hashing", "min df 2"];

    private static TextFeaturizerOptions TextOptions(string name) => name switch
    {
        "default" => new TextFeaturizerOptions(),
        "counts" => TextFeaturizerOptions.Counts,
        "chars and stop words" => new TextFeaturizerOptions { MinCharNgram = 2, MaxCharNgram = 4, RemoveEnglishStopWords = true, MaxWordNgram = 3 },
        "hashing" => new TextFeaturizerOptions { UseHashing = true, HashBits = 12 },
        "min df 2" => new TextFeaturizerOptions { MinDocumentFrequency = 2 },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static void AssertSameMatrix(FeatureMatrix expected, FeatureMatrix actual)
    {
        Assert.Equal(expected.RowCount, actual.RowCount);
        Assert.Equal(expected.ColumnCount, actual.ColumnCount);
        Assert.Equal(expected.RowStarts, actual.RowStarts);
        Assert.Equal(expected.Columns, actual.Columns);
        // Bit for bit: the ranking built on these values must equal the uncached one exactly.
        Assert.Equal(expected.Values.Select(BitConverter.SingleToInt32Bits), actual.Values.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [MemberData(nameof(TextOptionNames))]
    public void Should_featurize_encoded_text_exactly_as_the_raw_text(string optionName)
    {
        var texts = TestData.Clickbait.Texts[..12_000];
        var featurizer = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts(texts[..3_000]), TextOptions(optionName));
        var pool = EncodedPool.For(featurizer);

        // Appended in uneven batches, as a cache grows with new items.
        pool.Append(ItemTable.FromTexts(texts[..5_000]));
        pool.Append(ItemTable.FromTexts(texts[5_000..5_001]));
        pool.Append(ItemTable.FromTexts(texts[5_001..]));
        var rows = TestData.Permutation(texts.Length, 3)[..9_000];

        var actual = pool.Transform(featurizer, rows);

        Assert.Equal(texts.Length, pool.RowCount);
        AssertSameMatrix(featurizer.Transform(ItemTable.FromTexts([.. rows.Select(r => texts[r])])), actual);
    }

    [Fact]
    public void Should_serve_a_later_model_with_another_vocabulary_from_the_same_encoding()
    {
        var texts = TestData.Clickbait.Texts;
        var first = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts(texts[..1_000]));
        var pool = EncodedPool.For(first);
        pool.Append(ItemTable.FromTexts(texts[..8_000]));
        var later = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts(texts[20_000..26_000]));
        var rows = Enumerable.Range(0, 8_000).ToArray();

        var actual = pool.Transform(later, rows);

        Assert.True(pool.Fits(later));
        AssertSameMatrix(later.Transform(ItemTable.FromTexts(texts[..8_000])), actual);
    }

    [Fact]
    public void Should_featurize_encoded_tabular_rows_exactly_as_the_raw_rows()
    {
        var (header, rows) = TestData.WineColor();
        var numeric = header.Take(11).ToArray();
        // Unusable and missing values take the missing-indicator path; "color" is one-hot encoded.
        string?[] odd = ["", "NA", "not a number", "Infinity", "NaN", " 7.5 ", null];
        var columns = new Dictionary<string, IReadOnlyList<string?>>();
        for (var j = 0; j < numeric.Length; j++)
        {
            var column = j;
            columns[numeric[j]] = [.. rows.Select((r, i) => column == 3 && i % 50 < odd.Length ? odd[i % 50] : r[column])];
        }

        columns["color"] = [.. rows.Select((r, i) => i % 97 == 0 ? " rosé " : r[12])];
        var table = new ItemTable(columns);
        // Fitting refuses unparseable numbers, and "rosé" is a category the model never saw.
        var training = table.SelectRows([.. Enumerable.Range(0, 2_000).Where(i => i % 97 != 0 && i % 50 is not (2 or 3))]);
        var featurizer = Featurizer.Fit(new FeatureSchema([], numeric, ["color"]), training);
        var pool = EncodedPool.For(featurizer);
        pool.Append(table.SelectRows([.. Enumerable.Range(0, 3_000)]));
        pool.Append(table.SelectRows([.. Enumerable.Range(3_000, table.RowCount - 3_000)]));
        var selected = TestData.Permutation(table.RowCount, 5)[..5_000];

        var actual = pool.Transform(featurizer, selected);

        AssertSameMatrix(featurizer.Transform(table.SelectRows(selected)), actual);
    }

    [Fact]
    public void Should_refuse_a_featurizer_that_tokenizes_otherwise()
    {
        var texts = TestData.Clickbait.Texts[..500];
        var words = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts(texts));
        var withChars = Featurizer.Fit(FeatureSchema.Text(), ItemTable.FromTexts(texts), new TextFeaturizerOptions { MinCharNgram = 3, MaxCharNgram = 3 });
        var otherColumn = Featurizer.Fit(FeatureSchema.Text("title"), ItemTable.FromTexts(texts, "title"));
        var pool = EncodedPool.For(words);
        pool.Append(ItemTable.FromTexts(texts));

        Assert.False(pool.Fits(withChars));
        Assert.False(pool.Fits(otherColumn));
        Assert.Throws<ArgumentException>(() => pool.Transform(withChars, [0, 1]));
        Assert.Throws<ArgumentException>(() => pool.Transform(words, [500]));
    }

    [Fact]
    public void Should_rank_the_encoded_pool_as_the_raw_pool()
    {
        var (texts, labels) = TestData.Clickbait;
        var order = TestData.Permutation(texts.Length, 11);
        var labeled = order[..300];
        var model = ProjectModel.TrainText([.. labeled.Select(i => texts[i])], [.. labeled.Select(i => labels[i])], unlabeledPool: texts[..5_000]);
        var pool = EncodedPool.For(model.Featurizer);
        pool.Append(ItemTable.FromTexts(texts));
        var unlabeled = Enumerable.Range(0, texts.Length).Except(labeled).ToArray();

        foreach (var strategy in new[] { QueryStrategies.LeastConfidence, QueryStrategies.SmallestMargin, QueryStrategies.Entropy, QueryStrategies.Diversity })
        {
            var expected = QueryStrategies.Get(strategy).Rank(
                new QueryContext { Pool = model.Featurize(unlabeled.Select(i => texts[i]).ToArray()), Model = model.Classifier, Seed = 4 }, 200);
            var actual = QueryStrategies.Get(strategy).Rank(
                new QueryContext { Pool = pool.Transform(model.Featurizer, unlabeled), Model = model.Classifier, Seed = 4 }, 200);

            Assert.Equal(expected, actual);
        }
    }
}
