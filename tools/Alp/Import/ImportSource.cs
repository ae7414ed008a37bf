using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Encodings.Web;
using System.Text.Json;
using ActiveLabel.Alp.Data;
using ActiveLabel.Learning;
using CsvHelper;
using CsvHelper.Configuration;

namespace ActiveLabel.Alp.Import;

/// <summary>
/// What alp import sends for a path, without reading the file into memory. A single CSV, TSV or JSON Lines file
/// (optionally .gz) is streamed as it is, so the server's row numbers are the file's line numbers; a .txt file
/// without labels is sent as plain text, one item per line. Everything else alp simulate accepts (a folder, a
/// "label&lt;TAB&gt;text" file) and any import with <c>--seed</c> is converted to JSON Lines on the fly, one line per
/// record, so the server's row numbers are record numbers.
/// </summary>
internal sealed class ImportSource
{
    private const int FlushBytes = 64 * 1024;
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string _path;
    private readonly int? _seedCount;
    private readonly int _randomSeed;
    private int _labeled;

    private ImportSource(string path, string? mediaType, string? labelColumn, int? seedCount, int randomSeed)
    {
        _path = path;
        MediaType = mediaType;
        LabelColumn = labelColumn;
        _seedCount = seedCount;
        _randomSeed = randomSeed;
    }

    /// <summary>The media type of a file streamed as it is; null when records are converted to JSON Lines.</summary>
    public string? MediaType { get; }

    /// <summary>The column the server reads seed labels from, if any.</summary>
    public string? LabelColumn { get; }

    /// <summary>Why writing the converted body stopped (e.g. a malformed record), when it did.</summary>
    public DataFormatException? Failure { get; private set; }

    /// <summary>How the server's <c>row</c> numbers refer to the input.</summary>
    public string RowWord => MediaType is null ? "record" : "line";

    public static ImportSource Create(string path, string? labelColumn, int? seedCount, int randomSeed)
    {
        if (seedCount < 0)
        {
            throw new ArgumentException("--seed must be 0 or more.");
        }

        var isFolder = Directory.Exists(path);
        if (!isFolder && !File.Exists(path))
        {
            throw new ArgumentException($"No such file or folder: {path}");
        }

        var extension = isFolder ? "" : LabeledFile.Extension(path);
        var raw = extension switch
        {
            ".csv" => "text/csv",
            ".tsv" => "text/tab-separated-values",
            ".jsonl" or ".ndjson" => "application/x-ndjson",
            ".txt" when labelColumn is null && seedCount is null => "text/plain",
            ".txt" or "" => null,
            var other => throw new ArgumentException($"Unsupported file type '{other}' ({Path.GetFileName(path)}): use .csv, .tsv, .jsonl, .ndjson or .txt, optionally .gz, or a folder."),
        };

        // Folders of class files and label<TAB>text files carry their label in a column named "label".
        var definesLabel = isFolder || extension == ".txt";
        labelColumn ??= seedCount is not null || definesLabel ? LabeledFile.LabelColumn : null;
        return new ImportSource(path, seedCount is null ? raw : null, labelColumn, seedCount, randomSeed);
    }

    /// <summary>With --seed, reads the input once to count the labeled records (so a malformed file fails before anything is sent).</summary>
    public void Prepare()
    {
        if (_seedCount is not null)
        {
            _labeled = Records().Count(HasLabel);
        }
    }

    public HttpContent CreateContent()
    {
        if (MediaType is not null)
        {
            var content = new StreamContent(OpenBytes(_path), 64 * 1024);
            content.Headers.ContentType = new MediaTypeHeaderValue(MediaType) { CharSet = "utf-8" };
            return content;
        }

        return new JsonLinesContent(this);
    }

    private static Stream OpenBytes(string path)
    {
        Stream stream = File.OpenRead(path);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(stream, CompressionMode.Decompress) : stream;
    }

    /// <summary>Writes the records as JSON Lines, keeping the labels of only the chosen seed rows when --seed is given.</summary>
    private async Task WriteJsonLinesAsync(Stream stream, CancellationToken cancellationToken)
    {
        try
        {
            await WriteRecordsAsync(stream, cancellationToken);
        }
        catch (DataFormatException e)
        {
            Failure = e;
            throw;
        }
    }

    private async Task WriteRecordsAsync(Stream stream, CancellationToken cancellationToken)
    {
        var labeled = _labeled;
        var wanted = Math.Min(_seedCount ?? 0, labeled);
        var random = new Random(_randomSeed);
        var seen = 0;
        var buffer = new ArrayBufferWriter<byte>(FlushBytes * 2);
        using var json = new Utf8JsonWriter(buffer, WriterOptions);
        foreach (var record in Records())
        {
            var keepLabel = _seedCount is null;
            if (_seedCount is not null && HasLabel(record))
            {
                // Selection sampling (Knuth's algorithm S): exactly `wanted` of the labeled rows, uniformly, in one pass.
                keepLabel = random.Next(labeled - seen) < wanted;
                wanted -= keepLabel ? 1 : 0;
                seen++;
            }

            json.Reset(buffer);
            json.WriteStartObject();
            foreach (var (name, value) in record)
            {
                if (name == LabelColumn && !keepLabel)
                {
                    continue;
                }

                json.WriteString(name, value);
            }

            json.WriteEndObject();
            json.Flush();
            buffer.Write("\n"u8);
            if (buffer.WrittenCount >= FlushBytes)
            {
                await stream.WriteAsync(buffer.WrittenMemory, cancellationToken);
                buffer.ResetWrittenCount();
            }
        }

        await stream.WriteAsync(buffer.WrittenMemory, cancellationToken);
    }

    private bool HasLabel(List<KeyValuePair<string, string?>> record) =>
        record.Exists(f => f.Key == LabelColumn && !string.IsNullOrWhiteSpace(f.Value));

    /// <summary>The input's records, read lazily in the same conventions as <see cref="LabeledFile"/>.</summary>
    private IEnumerable<List<KeyValuePair<string, string?>>> Records()
    {
        if (!Directory.Exists(_path))
        {
            return ReadRecords(_path);
        }

        var files = Directory.GetFiles(_path).Order(StringComparer.Ordinal).ToArray();
        var delimited = files.Where(f => LabeledFile.Extension(f) is ".csv" or ".tsv").ToArray();
        if (delimited.Length > 0)
        {
            return delimited.SelectMany(ReadRecords);
        }

        var classFiles = files.Where(f => LabeledFile.Extension(f) is ".txt" or "" && !LabeledFile.IsNote(f)).ToArray();
        return classFiles.Length == 0
            ? throw new DataFormatException($"Folder {_path} holds no .csv, .tsv, .txt or .gz text files.")
            : classFiles.SelectMany(ClassFileRecords);
    }

    /// <summary>The records of one CSV, TSV or JSON Lines file (optionally .gz), read lazily; also what alp publish-items sends.</summary>
    internal static IEnumerable<List<KeyValuePair<string, string?>>> ReadRecords(string path) => LabeledFile.Extension(path) switch
    {
        ".csv" => DelimitedRecords(path, ","),
        ".tsv" => DelimitedRecords(path, "\t"),
        ".jsonl" or ".ndjson" => JsonRecords(path),
        _ => LabeledLineRecords(path),
    };

    private static IEnumerable<List<KeyValuePair<string, string?>>> ClassFileRecords(string path)
    {
        var className = LabeledFile.ClassName(path);
        using var reader = LabeledFile.OpenText(path);
        while (reader.ReadLine() is { } line)
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return [new(LabeledFile.TextColumn, line.Trim()), new(LabeledFile.LabelColumn, className)];
            }
        }
    }

    private static IEnumerable<List<KeyValuePair<string, string?>>> LabeledLineRecords(string path)
    {
        using var reader = LabeledFile.OpenText(path);
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab < 0)
            {
                throw new DataFormatException($"{Path.GetFileName(path)} line {number}: expected 'label<TAB>text'.");
            }

            yield return [new(LabeledFile.TextColumn, line[(tab + 1)..]), new(LabeledFile.LabelColumn, line[..tab])];
        }
    }

    private static IEnumerable<List<KeyValuePair<string, string?>>> DelimitedRecords(string path, string delimiter)
    {
        var config = new CsvConfiguration(CultureInfo.InvariantCulture) { Delimiter = delimiter, HasHeaderRecord = false, BadDataFound = null, MissingFieldFound = null };
        using var reader = LabeledFile.OpenText(path);
        using var parser = new CsvParser(reader, config);
        string[]? header = null;
        while (parser.Read())
        {
            var record = parser.Record ?? [];
            if (header is null)
            {
                header = record;
                continue;
            }

            if (record.Length == 1 && string.IsNullOrWhiteSpace(record[0]))
            {
                continue;
            }

            if (record.Length != header.Length)
            {
                throw new DataFormatException($"{Path.GetFileName(path)} line {parser.RawRow}: {record.Length} fields, but the header has {header.Length}.");
            }

            var fields = new List<KeyValuePair<string, string?>>(header.Length);
            for (var i = 0; i < header.Length; i++)
            {
                fields.Add(new(header[i], record[i]));
            }

            yield return fields;
        }
    }

    private static IEnumerable<List<KeyValuePair<string, string?>>> JsonRecords(string path)
    {
        using var reader = LabeledFile.OpenText(path);
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            yield return ParseJsonLine(path, number, line);
        }
    }

    private static List<KeyValuePair<string, string?>> ParseJsonLine(string path, int number, string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new DataFormatException($"{Path.GetFileName(path)} line {number}: expected a JSON object.");
            }

            return [.. document.RootElement.EnumerateObject().Select(p => new KeyValuePair<string, string?>(p.Name, p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString(),
                JsonValueKind.Null => null,
                _ => p.Value.GetRawText(),
            }))];
        }
        catch (JsonException e)
        {
            throw new DataFormatException($"{Path.GetFileName(path)} line {number}: not valid JSON ({e.Message}).", e);
        }
    }

    /// <summary>A request body produced while it is sent (chunked), so the converted file never sits in memory.</summary>
    private sealed class JsonLinesContent : HttpContent
    {
        private readonly ImportSource _source;

        public JsonLinesContent(ImportSource source)
        {
            _source = source;
            Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson") { CharSet = "utf-8" };
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            _source.WriteJsonLinesAsync(stream, CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            _source.WriteJsonLinesAsync(stream, cancellationToken);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
