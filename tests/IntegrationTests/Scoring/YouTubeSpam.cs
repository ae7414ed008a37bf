using System.Text;
using ActiveLabel.IntegrationTests.Infrastructure;

namespace ActiveLabel.IntegrationTests.Scoring;

/// <summary>Comments from the bundled YouTube spam collection (datasets/youtube-spam), labeled spam or ham.</summary>
internal static class YouTubeSpam
{
    /// <summary>
    /// <paramref name="count"/> comments, half spam and half ham, taken in file order from all five videos in turn, so a
    /// small sample covers every video's style of spam and of fan comment.
    /// </summary>
    public static IReadOnlyList<(string Text, string Label)> Load(int count)
    {
        var files = Directory.GetFiles(Path.Combine(TestEnvironment.RepoRoot, "datasets", "youtube-spam"), "*.csv").Order(StringComparer.Ordinal)
            .Select(f => ParseCsv(File.ReadAllText(f)))
            .Select(rows => rows.Skip(1).Select(r => (Text: r[rows[0].IndexOf("CONTENT")], Label: r[rows[0].IndexOf("label")] == "1" ? "spam" : "ham")).ToList())
            .ToList();
        var sample = new List<(string Text, string Label)>(count);
        for (var i = 0; sample.Count < count; i++)
        {
            foreach (var label in (string[])["spam", "ham"])
            {
                var file = files[i % files.Count];
                var next = file.Where(c => c.Label == label).ElementAtOrDefault(i / files.Count);
                if (next.Text is not null && sample.Count < count)
                {
                    sample.Add(next);
                }
            }
        }

        return sample;
    }

    /// <summary>RFC 4180: quoted fields may hold commas, doubled quotes and line breaks.</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                row.Add(field.ToString().TrimEnd('\r'));
                field.Clear();
                rows.Add(row);
                row = [];
            }
            else
            {
                field.Append(c);
            }
        }

        if (field.Length > 0 || row.Count > 0)
        {
            row.Add(field.ToString());
            rows.Add(row);
        }

        return rows;
    }
}
