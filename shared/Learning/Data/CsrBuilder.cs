namespace ActiveLabel.Learning;

/// <summary>Grows the arrays of a CSR matrix row by row.</summary>
internal sealed class CsrBuilder(int expectedRows, int expectedNonZeros)
{
    private int[] _rowStarts = new int[Math.Max(expectedRows, 1) + 1];
    private int[] _columns = new int[Math.Max(expectedNonZeros, 16)];
    private float[] _values = new float[Math.Max(expectedNonZeros, 16)];

    public int RowCount { get; private set; }

    public int NonZeroCount => _rowStarts[RowCount];

    public void Add(int column, float value)
    {
        var n = _rowStarts[RowCount + 1];
        if (n == _columns.Length)
        {
            Array.Resize(ref _columns, n * 2);
            Array.Resize(ref _values, n * 2);
        }

        _columns[n] = column;
        _values[n] = value;
        _rowStarts[RowCount + 1] = n + 1;
    }

    /// <summary>The entries of the row being built (after the last <see cref="EndRow"/>).</summary>
    public Span<float> CurrentRowValues => _values.AsSpan(_rowStarts[RowCount], _rowStarts[RowCount + 1] - _rowStarts[RowCount]);

    public void EndRow()
    {
        RowCount++;
        if (RowCount + 1 == _rowStarts.Length)
        {
            Array.Resize(ref _rowStarts, _rowStarts.Length * 2);
        }

        _rowStarts[RowCount + 1] = _rowStarts[RowCount];
    }

    public FeatureMatrix Build(int columnCount)
    {
        var nnz = NonZeroCount;
        return new FeatureMatrix(RowCount, columnCount, _rowStarts[..(RowCount + 1)], _columns[..nnz], _values[..nnz]);
    }

    /// <summary>Concatenates row blocks built in parallel, in order.</summary>
    public static FeatureMatrix Concatenate(IReadOnlyList<CsrBuilder> parts, int columnCount)
    {
        var rows = 0;
        var nnz = 0;
        foreach (var part in parts)
        {
            rows += part.RowCount;
            nnz += part.NonZeroCount;
        }

        var starts = new int[rows + 1];
        var columns = new int[nnz];
        var values = new float[nnz];
        var row = 0;
        var offset = 0;
        foreach (var part in parts)
        {
            for (var r = 0; r < part.RowCount; r++)
            {
                starts[row + r + 1] = offset + part._rowStarts[r + 1];
            }

            part._columns.AsSpan(0, part.NonZeroCount).CopyTo(columns.AsSpan(offset));
            part._values.AsSpan(0, part.NonZeroCount).CopyTo(values.AsSpan(offset));
            row += part.RowCount;
            offset += part.NonZeroCount;
        }

        return new FeatureMatrix(rows, columnCount, starts, columns, values);
    }
}
