using System.IO.Compression;

namespace ActiveLabel.Learning.Tests;

/// <summary>Reads the bundled datasets from the repository's datasets/ folder.</summary>
internal static class TestData
{
    private static readonly Lazy<(string[] Texts, string[] Labels)> ClickbaitData = new(LoadClickbait);

    public static string DatasetsFolder { get; } = FindDatasets();

    public static (string[] Texts, string[] Labels) Clickbait => ClickbaitData.Value;

    private static string FindDatasets()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "datasets");
            if (File.Exists(Path.Combine(dir.FullName, "ActiveLabelPlatform.sln")) && Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("Could not find the repository's datasets/ folder above " + AppContext.BaseDirectory);
    }

    private static (string[] Texts, string[] Labels) LoadClickbait()
    {
        var texts = new List<string>();
        var labels = new List<string>();
        foreach (var (file, label) in new[] { ("clickbait_data.gz", "clickbait"), ("non_clickbait_data.gz", "news") })
        {
            using var stream = new GZipStream(File.OpenRead(Path.Combine(DatasetsFolder, "clickbait", file)), CompressionMode.Decompress);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (!string.IsNullOrWhiteSpace(line))
                {
                    texts.Add(line.Trim());
                    labels.Add(label);
                }
            }
        }

        return ([.. texts], [.. labels]);
    }

    /// <summary>wine-color.csv as numeric rows and the color label; the file has no quoted fields.</summary>
    public static (string[] Header, string[][] Rows) WineColor()
    {
        var lines = File.ReadAllLines(Path.Combine(DatasetsFolder, "wine-quality", "wine-color.csv"));
        return (lines[0].Split(','), [.. lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(','))]);
    }

    /// <summary>A deterministic shuffle of 0..n-1.</summary>
    public static int[] Permutation(int n, int seed)
    {
        var order = Enumerable.Range(0, n).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }
}
