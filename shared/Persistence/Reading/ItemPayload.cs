using System.Globalization;
using System.Text.Json;

namespace ActiveLabel.Persistence.Reading;

/// <summary>Items store their content as a JSON object of column name to value; models read it as strings.</summary>
public static class ItemPayload
{
    /// <summary>The payload's columns as strings (numbers as written, null and missing as null).</summary>
    public static Dictionary<string, string?> ToColumns(string json)
    {
        using var document = JsonDocument.Parse(json);
        var columns = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            columns[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                JsonValueKind.Number => property.Value.GetRawText(),
                _ => property.Value.GetRawText(),
            };
        }

        return columns;
    }

    /// <summary>True if every non-empty value of the column parses as an invariant-culture number.</summary>
    public static bool IsNumeric(IEnumerable<IReadOnlyDictionary<string, string?>> rows, string column) =>
        rows.Select(r => r.GetValueOrDefault(column))
            .Where(v => !string.IsNullOrWhiteSpace(v))
            .All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
}
