using System.Text.Json;
using ActiveLabel.Alp.Data;
using ActiveLabel.Learning;

namespace ActiveLabel.Alp.Annotate;

/// <summary>The true labels of a labeled file, looked up by an item's text (or its external id).</summary>
internal sealed class Oracle
{
    private readonly Dictionary<string, string> _byKey;
    private readonly string? _idColumn;
    private readonly string _textColumn;

    private Oracle(Dictionary<string, string> byKey, string? idColumn, string textColumn)
    {
        _byKey = byKey;
        _idColumn = idColumn;
        _textColumn = textColumn;
    }

    public int Count => _byKey.Count;

    /// <summary>Reads the file; <paramref name="idColumn"/> matches served items by external id instead of by text.</summary>
    public static Oracle Load(string path, string labelColumn, string textColumn, string? idColumn)
    {
        var (table, _) = LabeledFile.Read(path);
        var keyColumn = idColumn ?? textColumn;
        foreach (var column in new[] { keyColumn, labelColumn })
        {
            if (!table.HasColumn(column))
            {
                throw new DataFormatException($"The oracle file has no column '{column}'. Columns: {string.Join(", ", table.ColumnNames)}.");
            }
        }

        var keys = table.Column(keyColumn);
        var labels = table.Column(labelColumn);
        var byKey = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < table.RowCount; i++)
        {
            if (keys[i] is { } key && labels[i] is { Length: > 0 } label)
            {
                byKey.TryAdd(Normalize(key), label);
            }
        }

        return new Oracle(byKey, idColumn, textColumn);
    }

    /// <summary>The label for a served item, or null when the file does not know it.</summary>
    public string? LabelFor(string externalId, JsonElement payload)
    {
        var key = _idColumn is not null ? externalId
            : payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(_textColumn, out var text) && text.ValueKind == JsonValueKind.String ? text.GetString()
            : null;
        return key is not null && _byKey.TryGetValue(Normalize(key), out var label) ? label : null;
    }

    private static string Normalize(string key) => key.Trim();
}
