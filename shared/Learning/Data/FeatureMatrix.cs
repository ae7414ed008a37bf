namespace ActiveLabel.Learning;

/// <summary>
/// A read-only sparse matrix in compressed sparse row (CSR) form: one row per item, one column per feature.
/// Produced by a <see cref="Featurizer"/>; consumed by <see cref="Classifier"/> and the query strategies.
/// </summary>
public sealed class FeatureMatrix
{
    internal FeatureMatrix(int rowCount, int columnCount, int[] rowStarts, int[] columns, float[] values)
    {
        RowCount = rowCount;
        ColumnCount = columnCount;
        RowStarts = rowStarts;
        Columns = columns;
        Values = values;
    }

    /// <summary>A matrix from dense rows of equal length; zeros are not stored.</summary>
    /// <exception cref="ArgumentException">Rows differ in length.</exception>
    public static FeatureMatrix FromDense(IReadOnlyList<IReadOnlyList<double>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var columns = rows.Count == 0 ? 0 : rows[0].Count;
        var builder = new CsrBuilder(rows.Count, rows.Count * columns);
        foreach (var row in rows)
        {
            if (row.Count != columns)
            {
                throw new ArgumentException("All rows must have the same length.", nameof(rows));
            }

            for (var j = 0; j < columns; j++)
            {
                if (row[j] != 0)
                {
                    builder.Add(j, (float)row[j]);
                }
            }

            builder.EndRow();
        }

        return builder.Build(columns);
    }

    /// <summary>Number of items (rows).</summary>
    public int RowCount { get; }

    /// <summary>Number of features (columns).</summary>
    public int ColumnCount { get; }

    /// <summary>Number of stored (non-zero) entries.</summary>
    public int NonZeroCount => RowStarts[RowCount];

    internal int[] RowStarts { get; }

    internal int[] Columns { get; }

    internal float[] Values { get; }

    /// <summary>The column indices of the non-zero entries of one row, in increasing order.</summary>
    public ReadOnlySpan<int> RowColumns(int row) => Columns.AsSpan(RowStarts[row], RowStarts[row + 1] - RowStarts[row]);

    /// <summary>The values of the non-zero entries of one row, aligned with <see cref="RowColumns"/>.</summary>
    public ReadOnlySpan<float> RowValues(int row) => Values.AsSpan(RowStarts[row], RowStarts[row + 1] - RowStarts[row]);

    /// <summary>A new matrix holding the given rows, in the given order.</summary>
    public FeatureMatrix SelectRows(ReadOnlySpan<int> rows)
    {
        var starts = new int[rows.Length + 1];
        for (var i = 0; i < rows.Length; i++)
        {
            starts[i + 1] = starts[i] + RowStarts[rows[i] + 1] - RowStarts[rows[i]];
        }

        var columns = new int[starts[rows.Length]];
        var values = new float[starts[rows.Length]];
        for (var i = 0; i < rows.Length; i++)
        {
            RowColumns(rows[i]).CopyTo(columns.AsSpan(starts[i]));
            RowValues(rows[i]).CopyTo(values.AsSpan(starts[i]));
        }

        return new FeatureMatrix(rows.Length, ColumnCount, starts, columns, values);
    }

    /// <summary>Sparse dot product of one row with a dense vector.</summary>
    internal double Dot(int row, ReadOnlySpan<float> dense)
    {
        var sum = 0.0;
        var end = RowStarts[row + 1];
        for (var e = RowStarts[row]; e < end; e++)
        {
            sum += Values[e] * dense[Columns[e]];
        }

        return sum;
    }

    internal double SquaredNorm(int row)
    {
        var sum = 0.0;
        foreach (var v in RowValues(row))
        {
            sum += (double)v * v;
        }

        return sum;
    }
}
