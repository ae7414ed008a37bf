using System.Diagnostics;
using System.Text.Json;

namespace ActiveLabel.Alp.Tests;

public sealed class SimulateCommandTests
{
    private static (int ExitCode, string Output, string Error) Alp(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = AlpCommands.Create().Parse(args).Invoke(new() { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Should_beat_random_on_youtube_spam_within_a_minute()
    {
        using var temp = new TempFolder();
        var clock = Stopwatch.StartNew();

        var (code, output, error) = Alp(
            "simulate", Datasets.Path("youtube-spam"), "--text", "CONTENT", "--label", "label",
            "--strategy", "entropy", "--batch", "10", "--budget", "400", "--repeats", "2", "--out", temp.Path);

        Assert.True(code == 0, error);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"took {clock.Elapsed}");
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp.Path, "summary.json")));
        var strategies = summary.RootElement.GetProperty("strategies").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        var random = strategies["random"].GetProperty("areaUnderAccuracyCurve").GetDouble();
        var entropy = strategies["entropy"].GetProperty("areaUnderAccuracyCurve").GetDouble();
        Assert.True(entropy > random, $"entropy {entropy} vs random {random}");
        Assert.Contains("saving vs random", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_write_curves_plot_splits_and_a_summary_with_the_documented_fields()
    {
        using var temp = new TempFolder();

        var (code, _, error) = Alp(
            "simulate", Datasets.Path("wine-quality", "wine.csv"), "--no-header", "--features", "*", "--label", "c14",
            "--seed-size", "6", "--batch", "4", "--budget", "40", "--repeats", "2", "--out", temp.Path);

        Assert.True(code == 0, error);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp.Path, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal(178, root.GetProperty("items").GetInt32());
        Assert.Equal(3, root.GetProperty("classes").GetArrayLength());
        Assert.True(root.GetProperty("fullData").GetProperty("accuracy").GetDouble() > 0.9);
        var first = root.GetProperty("strategies")[0];
        Assert.Equal("random", first.GetProperty("name").GetString());
        foreach (var field in new[] { "labelsToTargetAccuracy", "labelsToTargetRocAuc", "areaUnderAccuracyCurve", "savingVsRandomPercent", "savingIsLowerBound", "finalAccuracy" })
        {
            Assert.True(first.TryGetProperty(field, out _), field);
        }

        Assert.StartsWith("strategy,labels,accuracy_mean", File.ReadAllText(Path.Combine(temp.Path, "curves.csv")), StringComparison.Ordinal);
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(temp.Path, "curves.svg")), StringComparison.Ordinal);
        using var splits = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp.Path, "splits.json")));
        Assert.Equal(6, splits.RootElement.GetProperty("repeats")[0].GetProperty("seedRows").GetArrayLength());
    }

    [Fact]
    public void Should_name_the_missing_column_and_list_the_available_ones()
    {
        var (code, _, error) = Alp("simulate", Datasets.Path("youtube-spam"), "--text", "BODY", "--label", "label");

        Assert.Equal(2, code);
        Assert.Contains("'BODY'", error, StringComparison.Ordinal);
        Assert.Contains("CONTENT", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_an_empty_file()
    {
        using var temp = new TempFolder();

        var (code, _, error) = Alp("simulate", temp.File("empty.csv", string.Empty), "--text", "text");

        Assert.Equal(2, code);
        Assert.Contains("empty", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_file_with_one_class_only()
    {
        using var temp = new TempFolder();
        var rows = string.Join('\n', Enumerable.Range(0, 50).Select(i => $"comment number {i},ham"));

        var (code, _, error) = Alp("simulate", temp.File("one.csv", "text,label\n" + rows), "--text", "text");

        Assert.Equal(2, code);
        Assert.Contains("one class only", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_non_numeric_features_naming_column_and_row()
    {
        var (code, _, error) = Alp("simulate", Datasets.Path("wine-quality", "wine-color.csv"), "--features", "alcohol,color", "--label", "quality");

        Assert.Equal(2, code);
        Assert.Contains("'color'", error, StringComparison.Ordinal);
        Assert.Contains("row 1", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_missing_file_and_an_unknown_strategy()
    {
        Assert.Equal(2, Alp("simulate", Datasets.Path("no-such.csv"), "--text", "text").ExitCode);
        var (code, _, error) = Alp("simulate", Datasets.Path("youtube-spam"), "--text", "CONTENT", "--strategy", "psychic");
        Assert.Equal(2, code);
        Assert.Contains("entropy", error, StringComparison.Ordinal);
    }
}
