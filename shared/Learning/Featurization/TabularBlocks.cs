using System.Globalization;

namespace ActiveLabel.Learning;

internal enum BlockKind : byte
{
    Text = 1,
    Numeric = 2,
    Categorical = 3,
}

/// <summary>The features drawn from one input column, written at a column offset of the full feature vector.</summary>
internal interface IFeatureBlock
{
    string Column { get; }

    int Width { get; }

    void AppendRow(string? value, CsrBuilder output, int offset, BlockScratch scratch);

    void Write(BinaryWriter writer);
}

internal sealed class BlockScratch
{
    public TextScratch Text { get; } = new();
}

/// <summary>A standardised numeric column; a missing value is imputed with the mean and flagged in an indicator column.</summary>
internal sealed class NumericColumnBlock(string column, double mean, double scale, bool hasMissingIndicator) : IFeatureBlock
{
    public string Column { get; } = column;

    public int Width => hasMissingIndicator ? 2 : 1;

    public static NumericColumnBlock Fit(string column, IReadOnlyList<string?> values)
    {
        var sum = 0.0;
        var sumSquares = 0.0;
        var count = 0;
        for (var row = 0; row < values.Count; row++)
        {
            if (!TryParse(values[row], out var x, out var missing))
            {
                throw new DataFormatException(
                    $"Column '{column}', row {row + 1}: '{values[row]}' is not a number. Declare the column as categorical or text, or fix the value.");
            }

            if (!missing)
            {
                sum += x;
                sumSquares += x * x;
                count++;
            }
        }

        var mean = count == 0 ? 0 : sum / count;
        var variance = count == 0 ? 0 : Math.Max(0, (sumSquares / count) - (mean * mean));
        var std = Math.Sqrt(variance);
        return new NumericColumnBlock(column, mean, std > 1e-12 ? std : 1.0, count < values.Count);
    }

    /// <summary>Parses an invariant-culture number; blank, NA, NaN and ? count as missing.</summary>
    public static bool TryParse(string? text, out double value, out bool missing)
    {
        value = 0;
        missing = true;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var span = text.AsSpan().Trim();
        if (span is "?" || span.Equals("NA", StringComparison.OrdinalIgnoreCase) || span.Equals("N/A", StringComparison.OrdinalIgnoreCase)
            || span.Equals("null", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!double.TryParse(span, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            return false;
        }

        missing = double.IsNaN(value);
        return !double.IsInfinity(value);
    }

    public void AppendRow(string? value, CsrBuilder output, int offset, BlockScratch scratch) => AppendEncoded(Encode(value), output, offset);

    /// <summary>The value as a number, NaN when missing; at prediction time an unparseable value counts as missing rather than failing a whole batch.</summary>
    public static double Encode(string? value) => TryParse(value, out var x, out var missing) && !missing ? x : double.NaN;

    /// <summary>Appends a value produced by <see cref="Encode"/>.</summary>
    public void AppendEncoded(double x, CsrBuilder output, int offset)
    {
        if (!double.IsNaN(x))
        {
            var z = (float)((x - mean) / scale);
            if (z != 0)
            {
                output.Add(offset, z);
            }
        }
        else if (hasMissingIndicator)
        {
            output.Add(offset + 1, 1f);
        }
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write((byte)BlockKind.Numeric);
        writer.Write(Column);
        writer.Write(mean);
        writer.Write(scale);
        writer.Write(hasMissingIndicator);
    }

    public static NumericColumnBlock Read(BinaryReader reader) =>
        new(reader.ReadString(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadBoolean());
}

/// <summary>A one-hot encoded categorical column; a missing value is its own category, an unseen one encodes as zeros.</summary>
internal sealed class CategoricalColumnBlock : IFeatureBlock
{
    private readonly string[] _categories;
    private readonly Dictionary<string, int> _index;

    private CategoricalColumnBlock(string column, string[] categories)
    {
        Column = column;
        _categories = categories;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < categories.Length; i++)
        {
            _index[categories[i]] = i;
        }
    }

    public string Column { get; }

    public int Width => _categories.Length;

    public static CategoricalColumnBlock Fit(string column, IReadOnlyList<string?> values)
    {
        var categories = values.Select(Normalize).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return new CategoricalColumnBlock(column, categories);
    }

    /// <summary>The categories in output order.</summary>
    public IReadOnlyList<string> Categories => _categories;

    /// <summary>The category a raw value stands for: trimmed, missing as empty.</summary>
    public static string Normalize(string? value) => value?.Trim() ?? string.Empty;

    public void AppendRow(string? value, CsrBuilder output, int offset, BlockScratch scratch)
    {
        if (_index.TryGetValue(Normalize(value), out var i))
        {
            output.Add(offset + i, 1f);
        }
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write((byte)BlockKind.Categorical);
        writer.Write(Column);
        writer.Write(_categories.Length);
        foreach (var category in _categories)
        {
            writer.Write(category);
        }
    }

    public static CategoricalColumnBlock Read(BinaryReader reader)
    {
        var column = reader.ReadString();
        var categories = new string[BinaryFormat.ReadLength(reader)];
        for (var i = 0; i < categories.Length; i++)
        {
            categories[i] = reader.ReadString();
        }

        return new CategoricalColumnBlock(column, categories);
    }
}
