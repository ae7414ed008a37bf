using System.Text;
using System.Text.Json;
using ActiveLabel.Ingestion.Data;

namespace ActiveLabel.Ingestion.Features.UploadItems;

/// <summary>One record of an uploaded file: its column values, or why it could not be read.</summary>
internal readonly record struct SourceRow(long Row, List<KeyValuePair<string, string?>>? Fields, RowError? Error);

/// <summary>Reads records of one file format from a stream, one at a time (never the whole file).</summary>
internal abstract class RowSource(Utf8LineReader lines, int maxRowBytes)
{
    protected Utf8LineReader Lines => lines;
    protected int MaxRowBytes => maxRowBytes;

    /// <summary>The header's column names, for formats with a header; null otherwise.</summary>
    public IReadOnlyList<string>? Header { get; protected set; }

    /// <summary>Reads what precedes the records (the CSV header); returns the error that makes the whole file unreadable.</summary>
    public virtual ValueTask<RowError?> StartAsync(CancellationToken cancellationToken) => ValueTask.FromResult<RowError?>(null);

    /// <summary>The next record, or null at the end. Blank lines are not records.</summary>
    public abstract ValueTask<SourceRow?> ReadAsync(CancellationToken cancellationToken);

    protected RowError? LineError(Utf8Line line, long row) => line.Problem switch
    {
        LineProblem.TooLong => new RowError(row, null, $"the record is longer than the limit of {maxRowBytes:N0} bytes."),
        LineProblem.InvalidUtf8 => new RowError(row, null, line.Number == row
            ? "not valid UTF-8; save the file as UTF-8."
            : $"line {line.Number} (inside this record) is not valid UTF-8; save the file as UTF-8."),
        LineProblem.Nul => new RowError(row, null, "contains a NUL byte (\\0); remove it."),
        _ => null,
    };
}

/// <summary>One item per non-blank line, into the project's first text column.</summary>
internal sealed class TextLineSource(Utf8LineReader lines, int maxRowBytes, string column) : RowSource(lines, maxRowBytes)
{
    public override async ValueTask<SourceRow?> ReadAsync(CancellationToken cancellationToken)
    {
        while (await Lines.ReadLineAsync(cancellationToken) is { } line)
        {
            if (LineError(line, line.Number) is { } error)
            {
                return new SourceRow(line.Number, null, error);
            }

            var text = Encoding.UTF8.GetString(line.Bytes.Span);
            if (!string.IsNullOrWhiteSpace(text))
            {
                return new SourceRow(line.Number, [new(column, text)], null);
            }
        }

        return null;
    }
}

/// <summary>JSON Lines: one JSON object per line; string values are taken as they are, other scalars as their JSON text.</summary>
internal sealed class JsonLinesSource(Utf8LineReader lines, int maxRowBytes) : RowSource(lines, maxRowBytes)
{
    public override async ValueTask<SourceRow?> ReadAsync(CancellationToken cancellationToken)
    {
        while (await Lines.ReadLineAsync(cancellationToken) is { } line)
        {
            if (LineError(line, line.Number) is { } error)
            {
                return new SourceRow(line.Number, null, error);
            }

            if (line.Bytes.Span.Trim(" \t"u8).IsEmpty)
            {
                continue;
            }

            return Parse(line);
        }

        return null;
    }

    private static SourceRow Parse(Utf8Line line)
    {
        try
        {
            using var document = JsonDocument.Parse(line.Bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new SourceRow(line.Number, null, new RowError(line.Number, null, $"expected a JSON object, found {document.RootElement.ValueKind.ToString().ToLowerInvariant()}."));
            }

            var fields = new List<KeyValuePair<string, string?>>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (fields.Exists(f => f.Key == property.Name))
                {
                    return new SourceRow(line.Number, null, new RowError(line.Number, property.Name, "the key appears twice in the object."));
                }

                fields.Add(new(property.Name, property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Null => null,
                    _ => property.Value.GetRawText(),
                }));
            }

            return new SourceRow(line.Number, fields, null);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return new SourceRow(line.Number, null, new RowError(line.Number, null, $"not valid JSON: {ex.Message}"));
        }
    }
}

/// <summary>
/// CSV (RFC 4180; or TSV with a tab delimiter) with a header row. Quoted fields may hold delimiters, doubled quotes
/// and line breaks; a record's row number is the line it starts on. Every record must have as many fields as the
/// header.
/// </summary>
internal sealed class DelimitedSource(Utf8LineReader lines, int maxRowBytes, char delimiter) : RowSource(lines, maxRowBytes)
{
    private readonly CsvRecordParser _parser = new(delimiter);
    private string[] _header = [];

    public override async ValueTask<RowError?> StartAsync(CancellationToken cancellationToken)
    {
        var first = await ReadAsync(cancellationToken);
        if (first is not { } header)
        {
            return new RowError(1, null, "the file is empty; the first line must be a header row naming the columns.");
        }

        if (header.Error is not null)
        {
            return header.Error with { Reason = "header row: " + header.Error.Reason };
        }

        _header = [.. header.Fields!.Select(f => f.Value?.Trim() ?? "")];
        for (var i = 0; i < _header.Length; i++)
        {
            if (_header[i].Length == 0)
            {
                return new RowError(header.Row, null, $"header row: column {i + 1} has no name.");
            }

            if (Array.IndexOf(_header, _header[i]) < i)
            {
                return new RowError(header.Row, _header[i], "header row: the column name appears twice.");
            }
        }

        Header = _header;
        return null;
    }

    public override async ValueTask<SourceRow?> ReadAsync(CancellationToken cancellationToken)
    {
        while (await Lines.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Problem == LineProblem.None && line.Bytes.IsEmpty)
            {
                continue;
            }

            return await ReadRecordAsync(line, cancellationToken);
        }

        return null;
    }

    private async ValueTask<SourceRow> ReadRecordAsync(Utf8Line first, CancellationToken cancellationToken)
    {
        var row = first.Number;
        _parser.Reset();
        var line = first;
        var bytes = 0L;
        while (true)
        {
            bytes += line.Bytes.Length + 1;
            var checkedLine = line.Problem == LineProblem.None && bytes > MaxRowBytes + 1 ? line with { Problem = LineProblem.TooLong } : line;
            if (LineError(checkedLine, row) is { } lineError)
            {
                // The rest of a broken multi-line record cannot be found reliably; reading resumes at the next line.
                return new SourceRow(row, null, lineError);
            }

            var state = _parser.Feed(Encoding.UTF8.GetString(line.Bytes.Span));
            if (state == CsvRecordParser.State.Error)
            {
                return new SourceRow(row, null, new RowError(row, ColumnName(_parser.Fields.Count), _parser.ErrorReason!));
            }

            if (state == CsvRecordParser.State.Complete)
            {
                return ToRow(row);
            }

            if (await Lines.ReadLineAsync(cancellationToken) is not { } next)
            {
                return new SourceRow(row, null, new RowError(row, ColumnName(_parser.Fields.Count), "a quoted field is never closed; add the closing quote (\")."));
            }

            line = next;
        }
    }

    private SourceRow ToRow(long row)
    {
        var values = _parser.Fields;
        if (Header is null)
        {
            return new SourceRow(row, [.. values.Select(v => new KeyValuePair<string, string?>(v, v))], null);
        }

        if (values.Count != _header.Length)
        {
            return new SourceRow(row, null, new RowError(row, null, $"has {values.Count} fields; the header has {_header.Length}."));
        }

        var fields = new List<KeyValuePair<string, string?>>(_header.Length);
        for (var i = 0; i < _header.Length; i++)
        {
            fields.Add(new(_header[i], values[i]));
        }

        return new SourceRow(row, fields, null);
    }

    private string? ColumnName(int index) => index < _header.Length ? _header[index] : null;
}

/// <summary>An incremental RFC 4180 record parser, fed one physical line at a time.</summary>
internal sealed class CsvRecordParser(char delimiter)
{
    private readonly StringBuilder _field = new();
    private Mode _mode;

    public enum State
    {
        NeedMore,
        Complete,
        Error,
    }

    private enum Mode
    {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }

    public List<string> Fields { get; } = [];
    public string? ErrorReason { get; private set; }

    public void Reset()
    {
        Fields.Clear();
        _field.Clear();
        _mode = Mode.FieldStart;
        ErrorReason = null;
    }

    public State Feed(string line)
    {
        foreach (var c in line)
        {
            switch (_mode)
            {
                case Mode.FieldStart when c == '"':
                    _mode = Mode.Quoted;
                    break;
                case Mode.FieldStart or Mode.Unquoted when c == delimiter:
                case Mode.QuoteInQuoted when c == delimiter:
                    EndField();
                    break;
                case Mode.FieldStart or Mode.Unquoted when c == '"':
                    ErrorReason = "a quote inside an unquoted field; quote the whole field and double the quote (\"\").";
                    return State.Error;
                case Mode.FieldStart or Mode.Unquoted:
                    _field.Append(c);
                    _mode = Mode.Unquoted;
                    break;
                case Mode.Quoted when c == '"':
                    _mode = Mode.QuoteInQuoted;
                    break;
                case Mode.Quoted:
                    _field.Append(c);
                    break;
                case Mode.QuoteInQuoted when c == '"':
                    _field.Append('"');
                    _mode = Mode.Quoted;
                    break;
                case Mode.QuoteInQuoted:
                    ErrorReason = $"unexpected '{c}' after a closing quote; a quoted field must end at a delimiter.";
                    return State.Error;
            }
        }

        if (_mode == Mode.Quoted)
        {
            _field.Append('\n');
            return State.NeedMore;
        }

        EndField();
        return State.Complete;
    }

    private void EndField()
    {
        Fields.Add(_field.ToString());
        _field.Clear();
        _mode = Mode.FieldStart;
    }
}
