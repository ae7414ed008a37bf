namespace ActiveLabel.Learning;

/// <summary>
/// Raw items as named columns of strings: the input of featurization. A text project is a table with one text column;
/// a tabular project has one column per field. Missing values are <see langword="null"/> or empty.
/// </summary>
public sealed class ItemTable
{
    private readonly Dictionary<string, IReadOnlyList<string?>> _columns;

    /// <summary>Creates a table from columns of equal length.</summary>
    /// <exception cref="ArgumentException">The columns differ in length.</exception>
    public ItemTable(IReadOnlyDictionary<string, IReadOnlyList<string?>> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _columns = new Dictionary<string, IReadOnlyList<string?>>(columns, StringComparer.Ordinal);
        RowCount = _columns.Count == 0 ? 0 : _columns.Values.First().Count;
        foreach (var (name, values) in _columns)
        {
            if (values.Count != RowCount)
            {
                throw new ArgumentException($"Column '{name}' has {values.Count} values; expected {RowCount}.", nameof(columns));
            }
        }
    }

    /// <summary>Number of items.</summary>
    public int RowCount { get; }

    /// <summary>The column names.</summary>
    public IEnumerable<string> ColumnNames => _columns.Keys;

    /// <summary>A table with one text column (no copy of the list is made).</summary>
    public static ItemTable FromTexts(IReadOnlyList<string?> texts, string column = FeatureSchema.DefaultTextColumn)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return new ItemTable(new Dictionary<string, IReadOnlyList<string?>> { [column] = texts });
    }

    /// <summary>A table from rows given as column name to value maps; only the named columns are kept.</summary>
    public static ItemTable FromRows(IReadOnlyList<IReadOnlyDictionary<string, string?>> rows, IEnumerable<string> columns)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(columns);
        var result = new Dictionary<string, IReadOnlyList<string?>>(StringComparer.Ordinal);
        foreach (var column in columns.Distinct(StringComparer.Ordinal))
        {
            var values = new string?[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                values[i] = rows[i].TryGetValue(column, out var v) ? v : null;
            }

            result[column] = values;
        }

        return new ItemTable(result);
    }

    /// <summary>Whether the table has a column of this name.</summary>
    public bool HasColumn(string name) => _columns.ContainsKey(name);

    /// <summary>The values of one column.</summary>
    /// <exception cref="DataFormatException">No such column.</exception>
    public IReadOnlyList<string?> Column(string name) =>
        _columns.TryGetValue(name, out var values)
            ? values
            : throw new DataFormatException($"Column '{name}' not found; available columns: {string.Join(", ", _columns.Keys)}.");

    /// <summary>A table holding the given rows, in the given order.</summary>
    public ItemTable SelectRows(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var result = new Dictionary<string, IReadOnlyList<string?>>(StringComparer.Ordinal);
        foreach (var (name, values) in _columns)
        {
            var selected = new string?[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                selected[i] = values[rows[i]];
            }

            result[name] = selected;
        }

        return new ItemTable(result);
    }
}
