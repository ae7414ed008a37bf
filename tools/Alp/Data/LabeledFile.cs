using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using ActiveLabel.Learning;
using CsvHelper;
using CsvHelper.Configuration;

namespace ActiveLabel.Alp.Data;

/// <summary>
/// Reads a labeled dataset into named string columns. Accepted inputs, each optionally gzip-compressed (.gz):
/// a CSV or TSV file with a header row (or without, columns then named c1, c2, ...); a JSONL file, one object per line;
/// a text file of "label&lt;TAB&gt;text" lines; a folder of CSV files with the same header (concatenated in name order);
/// or a folder of text files (.txt or .gz), one class per file named after the file, one item per non-blank line
/// (columns "text" and "label"), as the bundled clickbait set is shipped; README, SOURCE and LICENSE files are skipped.
/// </summary>
internal static class LabeledFile
{
    public const string TextColumn = "text";
    public const string LabelColumn = "label";

    private static readonly string[] NoteNames = ["README", "SOURCE", "LICENSE", "LICENCE", "NOTICE"];
    private static readonly string[] ClassFileSuffixes = [".gz", ".txt"];

    public static (ItemTable Table, string Description) Read(string path, bool hasHeader = true)
    {
        if (Directory.Exists(path))
        {
            return ReadFolder(path, hasHeader);
        }

        if (!File.Exists(path))
        {
            throw new DataFormatException($"No such file or folder: {path}");
        }

        var columns = ReadFile(path, hasHeader);
        return (ToTable(columns, path), Path.GetFileName(path));
    }

    private static (ItemTable, string) ReadFolder(string folder, bool hasHeader)
    {
        var files = Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToArray();
        var csvs = files.Where(f => Extension(f) is ".csv" or ".tsv").ToArray();
        if (csvs.Length > 0)
        {
            var parts = csvs.Select(f => (File: f, Columns: ReadFile(f, hasHeader))).ToArray();
            var header = parts[0].Columns.Keys.ToArray();
            var mismatch = parts.FirstOrDefault(p => !p.Columns.Keys.SequenceEqual(header));
            if (mismatch.File is not null)
            {
                throw new DataFormatException($"{Path.GetFileName(mismatch.File)} has columns {string.Join(",", mismatch.Columns.Keys)}; {Path.GetFileName(csvs[0])} has {string.Join(",", header)}.");
            }

            var merged = header.ToDictionary(c => c, c => parts.SelectMany(p => p.Columns[c]).ToList(), StringComparer.Ordinal);
            return (ToTable(merged, folder), $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(folder))} ({csvs.Length} CSV files)");
        }

        var texts = files.Where(f => Extension(f) is ".txt" or "" && !IsNote(f)).ToArray();
        if (texts.Length == 0)
        {
            throw new DataFormatException($"Folder {folder} holds no .csv, .tsv, .txt or .gz text files.");
        }

        var text = new List<string?>();
        var label = new List<string?>();
        foreach (var file in texts)
        {
            var className = ClassName(file);
            foreach (var line in ReadLines(file).Where(l => !string.IsNullOrWhiteSpace(l)))
            {
                text.Add(line.Trim());
                label.Add(className);
            }
        }

        var columns = new Dictionary<string, List<string?>>(StringComparer.Ordinal) { [TextColumn] = text, [LabelColumn] = label };
        return (ToTable(columns, folder), $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(folder))} ({texts.Length} files, one class each)");
    }

    private static Dictionary<string, List<string?>> ReadFile(string path, bool hasHeader) =>
        Extension(path) switch
        {
            ".csv" => ReadDelimited(path, ",", hasHeader),
            ".tsv" => ReadDelimited(path, "\t", hasHeader),
            ".jsonl" or ".ndjson" => ReadJsonLines(path),
            ".txt" => ReadLabeledLines(path),
            var other => throw new DataFormatException($"Unsupported file type '{other}' ({Path.GetFileName(path)}): use .csv, .tsv, .jsonl or .txt, optionally .gz."),
        };

    /// <summary>The extension that says the format, ignoring a trailing .gz.</summary>
    internal static string Extension(string path)
    {
        var name = Path.GetFileName(path);
        if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            name = name[..^3];
        }

        return Path.GetExtension(name).ToLowerInvariant();
    }

    /// <summary>Licence and source notes that sit beside the data files.</summary>
    internal static bool IsNote(string path) =>
        NoteNames.Any(n => Path.GetFileName(path).StartsWith(n, StringComparison.OrdinalIgnoreCase));

    internal static string ClassName(string path)
    {
        var name = Path.GetFileName(path);
        foreach (var suffix in ClassFileSuffixes)
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                name = name[..^suffix.Length];
            }
        }

        return name;
    }

    internal static StreamReader OpenText(string path)
    {
        Stream stream = File.OpenRead(path);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            stream = new GZipStream(stream, CompressionMode.Decompress);
        }

        return new StreamReader(stream);
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        using var reader = OpenText(path);
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }

    private static Dictionary<string, List<string?>> ReadDelimited(string path, string delimiter, bool hasHeader)
    {
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            Delimiter = delimiter,
            HasHeaderRecord = false,
            BadDataFound = null,
            MissingFieldFound = null,
        };
        using var reader = OpenText(path);
        using var parser = new CsvParser(reader, config);
        string[]? header = null;
        var rows = new List<string[]>();
        while (parser.Read())
        {
            var record = parser.Record ?? [];
            if (header is null)
            {
                header = hasHeader ? record : [.. Enumerable.Range(1, record.Length).Select(i => $"c{i}")];
                if (hasHeader)
                {
                    continue;
                }
            }

            if (record.Length == 1 && string.IsNullOrWhiteSpace(record[0]))
            {
                continue;
            }

            rows.Add(record);
        }

        if (header is null)
        {
            throw new DataFormatException($"{Path.GetFileName(path)} is empty.");
        }

        var columns = new Dictionary<string, List<string?>>(StringComparer.Ordinal);
        for (var j = 0; j < header.Length; j++)
        {
            if (!columns.TryAdd(header[j], [.. rows.Select(r => j < r.Length ? r[j] : null)]))
            {
                throw new DataFormatException($"{Path.GetFileName(path)}: column '{header[j]}' appears twice in the header.");
            }
        }

        return columns;
    }

    private static Dictionary<string, List<string?>> ReadJsonLines(string path)
    {
        var rows = new List<Dictionary<string, string?>>();
        var names = new List<string>();
        var lineNumber = 0;
        foreach (var line in ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new DataFormatException($"{Path.GetFileName(path)} line {lineNumber}: not valid JSON ({e.Message}).", e);
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new DataFormatException($"{Path.GetFileName(path)} line {lineNumber}: expected a JSON object.");
                }

                var row = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (!names.Contains(property.Name))
                    {
                        names.Add(property.Name);
                    }

                    row[property.Name] = property.Value.ValueKind switch
                    {
                        JsonValueKind.String => property.Value.GetString(),
                        JsonValueKind.Null or JsonValueKind.Undefined => null,
                        _ => property.Value.GetRawText(),
                    };
                }

                rows.Add(row);
            }
        }

        return names.ToDictionary(n => n, n => rows.Select(r => r.GetValueOrDefault(n)).ToList(), StringComparer.Ordinal);
    }

    private static Dictionary<string, List<string?>> ReadLabeledLines(string path)
    {
        var text = new List<string?>();
        var label = new List<string?>();
        var lineNumber = 0;
        foreach (var line in ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab < 0)
            {
                throw new DataFormatException($"{Path.GetFileName(path)} line {lineNumber}: expected 'label<TAB>text'.");
            }

            label.Add(line[..tab]);
            text.Add(line[(tab + 1)..]);
        }

        return new Dictionary<string, List<string?>>(StringComparer.Ordinal) { [TextColumn] = text, [LabelColumn] = label };
    }

    private static ItemTable ToTable(Dictionary<string, List<string?>> columns, string path)
    {
        if (columns.Count == 0 || columns.Values.First().Count == 0)
        {
            throw new DataFormatException($"{path} holds no data rows.");
        }

        return new ItemTable(columns.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string?>)kv.Value, StringComparer.Ordinal));
    }
}
