using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ActiveLabel.Persistence.Entities;

namespace ActiveLabel.Ingestion.Data;

/// <summary>An item ready for the database: validated, normalised, hashed.</summary>
internal sealed record StagedItem(long Row, string ExternalId, byte[] ContentHash, string Payload, string? SeedLabel);

/// <summary>
/// Turns one row of column values into a <see cref="StagedItem"/>, or says precisely why it cannot. One path for
/// file uploads and <c>SubmitItems</c>, so both validate and hash the same way.
/// </summary>
/// <remarks>
/// Normalisation of every value: CRLF and CR become LF, leading and trailing white space is trimmed, and an empty
/// result is null (a missing value). Unicode normalisation is not applied (the services run with invariant
/// globalization), so "é" precomposed and decomposed are different content.
/// Content hash: SHA-256 over the project's content columns (text and feature columns) in ordinal order of their
/// names, each written as UTF-8(name) 0x00, then 0x01 for a null value or 0x02 UTF-8(value), then 0x00. Columns
/// outside the content (source, timestamps…) are kept in the payload but do not make an item different, so the same
/// headline from two feeds is one item. NUL is refused in values, so the encoding is unambiguous.
/// Payload: a JSON object of every column except the label and id columns, keys in ordinal order, values strings or
/// null.
/// Not thread-safe: one builder per upload or message.
/// </remarks>
internal sealed class ItemBuilder(IngestTarget target) : IDisposable
{
    public const int MaxExternalIdLength = 512;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly string[] _hashColumns = [.. target.ContentColumns.Order(StringComparer.Ordinal)];
    private readonly ArrayBufferWriter<byte> _hashBuffer = new(1024);
    private readonly ArrayBufferWriter<byte> _jsonBuffer = new(1024);
    private readonly string _labelList = string.Join(", ", target.Labels.Order(StringComparer.Ordinal));
    private Utf8JsonWriter? _json;

    public IngestTarget Target => target;

    /// <summary>
    /// Builds the item of row <paramref name="row"/>. <paramref name="fields"/> holds the item's columns (without
    /// the label and id); <paramref name="labelColumn"/> and <paramref name="idColumn"/> only name the sources in
    /// error messages. An absent <paramref name="externalId"/> (with <paramref name="idColumn"/> null) is derived
    /// from the content hash.
    /// </summary>
    public bool TryBuild(
        long row, List<KeyValuePair<string, string?>> fields, string? label, string? labelColumn, string? externalId, string? idColumn,
        out StagedItem? item, out RowError? error)
    {
        item = null;
        for (var i = 0; i < fields.Count; i++)
        {
            var (name, value) = fields[i];
            if (value is not null && value.Contains('\0', StringComparison.Ordinal))
            {
                error = new RowError(row, name, "contains a NUL character (\\0); remove it.");
                return false;
            }

            fields[i] = new(name, Normalize(value));
        }

        if (!CheckContent(row, fields, out error) || !CheckLabel(row, ref label, labelColumn, out error) || !CheckId(row, ref externalId, idColumn, out error))
        {
            return false;
        }

        var hash = Hash(fields);
        item = new StagedItem(row, externalId ?? Convert.ToHexStringLower(hash), hash, Payload(fields), label);
        return true;
    }

    public void Dispose() => _json?.Dispose();

    public static string? Normalize(string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Contains('\r', StringComparison.Ordinal))
        {
            value = value.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        }

        value = value.Trim();
        return value.Length == 0 ? null : value;
    }

    private bool CheckContent(long row, List<KeyValuePair<string, string?>> fields, out RowError? error)
    {
        error = null;
        var anyText = target.TextColumns.Count == 0;
        foreach (var column in target.ContentColumns)
        {
            var index = IndexOf(fields, column);
            if (index < 0)
            {
                error = new RowError(row, column, $"missing column '{column}'; this item has: {string.Join(", ", fields.Select(f => f.Key))}.");
                return false;
            }

            anyText |= fields[index].Value is not null && target.TextColumns.Contains(column);
        }

        // A text item without text cannot be labeled; a tabular row may have missing feature values.
        if (target.TaskType == TaskType.Text && !anyText)
        {
            error = new RowError(row, target.TextColumns[0], "the text is empty.");
            return false;
        }

        return true;
    }

    private bool CheckLabel(long row, ref string? label, string? labelColumn, out RowError? error)
    {
        error = null;
        label = Normalize(label);
        if (label is null)
        {
            return true;
        }

        if (label.Contains('\0', StringComparison.Ordinal) || !target.Labels.Contains(label))
        {
            error = new RowError(row, labelColumn, $"'{Truncate(label)}' is not a label of this project; use one of: {_labelList} (or leave it empty for an unlabeled item).");
            return false;
        }

        return true;
    }

    private static bool CheckId(long row, ref string? externalId, string? idColumn, out RowError? error)
    {
        error = null;
        if (idColumn is null && externalId is null)
        {
            return true;
        }

        externalId = Normalize(externalId);
        if (externalId is null)
        {
            error = new RowError(row, idColumn, "the id is empty; give every item an id, or leave the id out to derive it from the content.");
            return false;
        }

        if (externalId.Length > MaxExternalIdLength || externalId.Contains('\0', StringComparison.Ordinal))
        {
            error = new RowError(row, idColumn, $"the id must be at most {MaxExternalIdLength} characters without NUL.");
            return false;
        }

        return true;
    }

    private byte[] Hash(List<KeyValuePair<string, string?>> fields)
    {
        _hashBuffer.ResetWrittenCount();
        foreach (var column in _hashColumns)
        {
            var value = fields[IndexOf(fields, column)].Value;
            Write(_hashBuffer, column);
            _hashBuffer.Write([(byte)0, value is null ? (byte)1 : (byte)2]);
            if (value is not null)
            {
                Write(_hashBuffer, value);
            }

            _hashBuffer.Write([(byte)0]);
        }

        return SHA256.HashData(_hashBuffer.WrittenSpan);
    }

    private string Payload(List<KeyValuePair<string, string?>> fields)
    {
        fields.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        _jsonBuffer.ResetWrittenCount();
        if (_json is null)
        {
            _json = new Utf8JsonWriter(_jsonBuffer, WriterOptions);
        }
        else
        {
            _json.Reset(_jsonBuffer);
        }

        _json.WriteStartObject();
        foreach (var (name, value) in fields)
        {
            if (value is null)
            {
                _json.WriteNull(name);
            }
            else
            {
                _json.WriteString(name, value);
            }
        }

        _json.WriteEndObject();
        _json.Flush();
        return Encoding.UTF8.GetString(_jsonBuffer.WrittenSpan);
    }

    private static void Write(ArrayBufferWriter<byte> buffer, string text)
    {
        var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        buffer.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private static int IndexOf(List<KeyValuePair<string, string?>> fields, string column)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (string.Equals(fields[i].Key, column, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Truncate(string value) => value.Length <= 60 ? value : value[..60] + "…";
}
