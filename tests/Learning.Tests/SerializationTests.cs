namespace ActiveLabel.Learning.Tests;

public sealed class SerializationTests
{
    private static ProjectModel TextModel(TrainingOptions? options = null)
    {
        var (texts, labels) = TestData.Clickbait;
        var order = TestData.Permutation(texts.Length, 3)[..3000];
        return ProjectModel.TrainText([.. order.Select(i => texts[i])], [.. order.Select(i => labels[i])], options);
    }

    private static ProjectModel MixedModel()
    {
        var table = new ItemTable(new Dictionary<string, IReadOnlyList<string?>>
        {
            ["title"] = ["cheap pills now", "meeting notes", "win a prize", "quarterly report", "free money", "lunch plans"],
            ["links"] = ["5", "0", "3", "", "7", "0"],
            ["sender"] = ["unknown", "boss", "unknown", "cfo", "unknown", "friend"],
        });
        var schema = new FeatureSchema(["title"], ["links"], ["sender"]);
        return ProjectModel.Train(schema, table, ["spam", "ham", "spam", "ham", "spam", "ham"], new TrainingOptions { C = 10, BalancedClassWeights = true });
    }

    [Fact]
    public void Should_round_trip_a_text_model_bit_for_bit()
    {
        var model = TextModel();

        var bytes = model.Serialize();
        var restored = ProjectModel.Deserialize(bytes);

        Assert.Equal(bytes, restored.Serialize());
        Assert.Equal(model.Classes, restored.Classes);
        var text = "You Won't Believe What This Cat Did Next";
        Assert.Equal(model.PredictProba(text), restored.PredictProba(text));
    }

    [Fact]
    public void Should_round_trip_a_tabular_model_with_text_numbers_and_categories()
    {
        var model = MixedModel();
        var item = new Dictionary<string, string?> { ["title"] = "free pills", ["links"] = "4", ["sender"] = "unknown" };

        var restored = ProjectModel.Deserialize(model.Serialize());

        Assert.Equal(model.Serialize(), restored.Serialize());
        Assert.Equal(model.PredictProba(item), restored.PredictProba(item));
        Assert.True(restored.PredictProba(item)[restored.ClassIndex("spam")] > 0.5);
    }

    [Fact]
    public void Should_round_trip_a_naive_bayes_model_with_hashed_features()
    {
        var model = TextModel(new TrainingOptions { Kind = ModelKind.NaiveBayes, Text = new TextFeaturizerOptions { UseHashing = true, HashBits = 16 } });

        var bytes = model.Serialize();

        Assert.Equal(bytes, ProjectModel.Deserialize(bytes).Serialize());
        Assert.Equal(ModelKind.NaiveBayes, ProjectModel.Deserialize(bytes).Classifier.Kind);
    }

    [Fact]
    public void Should_refuse_a_model_file_from_an_unknown_format_version()
    {
        var bytes = MixedModel().Serialize();
        BitConverter.GetBytes(ProjectModel.FormatVersion + 1).CopyTo(bytes, 4);

        var error = Assert.Throws<ModelFormatException>(() => ProjectModel.Deserialize(bytes));

        Assert.Contains($"version {ProjectModel.FormatVersion + 1} is not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_bytes_that_are_not_a_model()
    {
        Assert.Throws<ModelFormatException>(() => ProjectModel.Deserialize("not a model at all"u8.ToArray()));
    }

    [Fact]
    public void Should_refuse_a_truncated_model_file()
    {
        var bytes = MixedModel().Serialize();

        Assert.Throws<ModelFormatException>(() => ProjectModel.Deserialize(bytes[..^10]));
    }

    [Fact]
    public void Should_refuse_a_model_file_whose_payload_is_corrupt()
    {
        var bytes = MixedModel().Serialize();
        bytes.AsSpan(16, 64).Fill(0xFF);

        Assert.Throws<ModelFormatException>(() => ProjectModel.Deserialize(bytes));
    }
}
