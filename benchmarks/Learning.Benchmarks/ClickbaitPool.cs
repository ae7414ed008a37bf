using System.IO.Compression;

namespace ActiveLabel.Learning.Benchmarks;

/// <summary>
/// The clickbait headlines split as <c>alp simulate</c> splits them (stratified 80/20, seed 0): the 25,600-item pool the
/// speed comparison with scikit-learn uses.
/// </summary>
internal static class ClickbaitPool
{
    public static (string?[] Texts, int[] Classes) Load()
    {
        var datasets = FindDatasets();
        var texts = new List<string?>();
        var classes = new List<int>();
        foreach (var (file, label) in new[] { ("clickbait_data.gz", 0), ("non_clickbait_data.gz", 1) })
        {
            using var stream = new GZipStream(File.OpenRead(Path.Combine(datasets, "clickbait", file)), CompressionMode.Decompress);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (!string.IsNullOrWhiteSpace(line))
                {
                    texts.Add(line.Trim());
                    classes.Add(label);
                }
            }
        }

        var y = classes.ToArray();
        var test = Splits.StratifiedTestRows(y, 2, 0.2, 0).ToHashSet();
        var pool = Enumerable.Range(0, y.Length).Where(i => !test.Contains(i)).ToArray();
        return ([.. pool.Select(i => texts[i])], [.. pool.Select(i => y[i])]);
    }

    private static string FindDatasets()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ActiveLabelPlatform.sln")))
            {
                return Path.Combine(dir.FullName, "datasets");
            }
        }

        // BenchmarkDotNet runs the benchmarks from a generated project under bin/; fall back to the working folder.
        return Path.Combine(Directory.GetCurrentDirectory(), "datasets");
    }
}
