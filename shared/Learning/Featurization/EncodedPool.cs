using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ActiveLabel.Learning;

/// <summary>
/// Items encoded once for featurizing again and again: text as interned n-gram ids, numbers parsed, categories
/// interned. Each new model only maps its vocabulary and categories onto the ids, so featurizing a large pool skips
/// tokenizing and parsing. <see cref="Transform"/> gives exactly what <see cref="Featurizer.Transform(ItemTable)"/>
/// gives on the raw items, for any featurizer that <see cref="Fits"/>. Appending is not thread-safe; transforms may run
/// in parallel with each other but not with an append.
/// </summary>
public sealed class EncodedPool
{
    private readonly IEncodedColumn[] _columns;

    private EncodedPool(IEncodedColumn[] columns) => _columns = columns;

    /// <summary>Number of items encoded.</summary>
    public int RowCount { get; private set; }

    /// <summary>The raw columns read by <see cref="Append"/>, in no particular order.</summary>
    public IReadOnlyList<string> Columns => [.. _columns.Select(c => c.Column).Distinct(StringComparer.Ordinal)];

    /// <summary>Approximate managed memory held by the encoded items, in bytes.</summary>
    public long EstimatedBytes => _columns.Sum(c => c.EstimatedBytes);

    /// <summary>An empty pool that encodes the columns the featurizer reads, the way it reads them.</summary>
    public static EncodedPool For(Featurizer featurizer)
    {
        ArgumentNullException.ThrowIfNull(featurizer);
        return new EncodedPool([.. featurizer.Blocks.Select(IEncodedColumn (b) => b switch
        {
            TextColumnBlock text => new EncodedTextColumn(text),
            NumericColumnBlock numeric => new EncodedNumericColumn(numeric.Column),
            CategoricalColumnBlock categorical => new EncodedCategoricalColumn(categorical.Column),
            _ => throw new ArgumentException($"Unknown feature block {b.GetType().Name}.", nameof(featurizer)),
        })]);
    }

    /// <summary>True when the featurizer reads the same columns in the same order and tokenizes text the same way.</summary>
    public bool Fits(Featurizer featurizer)
    {
        ArgumentNullException.ThrowIfNull(featurizer);
        return featurizer.Blocks.Count == _columns.Length && _columns.Select((c, i) => c.Fits(featurizer.Blocks[i])).All(f => f);
    }

    /// <summary>Encodes items and adds them as rows <see cref="RowCount"/>, <see cref="RowCount"/> + 1, ...</summary>
    /// <exception cref="DataFormatException">A column the pool reads is missing from the table.</exception>
    public void Append(ItemTable items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var values = _columns.Select(c => items.Column(c.Column)).ToArray();
        for (var i = 0; i < _columns.Length; i++)
        {
            _columns[i].Append(values[i]);
        }

        RowCount += items.RowCount;
    }

    /// <summary>
    /// Featurizes the given rows, in the given order, as <paramref name="featurizer"/> would featurize the raw items
    /// (the same values, bit for bit); in parallel over blocks of rows.
    /// </summary>
    /// <exception cref="ArgumentException">The featurizer does not fit this pool, or a row is out of range.</exception>
    public FeatureMatrix Transform(Featurizer featurizer, IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(featurizer);
        ArgumentNullException.ThrowIfNull(rows);
        if (!Fits(featurizer))
        {
            throw new ArgumentException("The featurizer reads other columns, or tokenizes text otherwise, than this pool was encoded for.", nameof(featurizer));
        }

        foreach (var row in rows)
        {
            if ((uint)row >= (uint)RowCount)
            {
                throw new ArgumentException($"Row {row} is not in the pool of {RowCount} rows.", nameof(rows));
            }
        }

        var bound = _columns.Select((c, i) => c.Bind(featurizer.Blocks[i])).ToArray();
        var offsets = featurizer.Offsets;
        var chunks = (rows.Count + Featurizer.ChunkRows - 1) / Featurizer.ChunkRows;
        var parts = new CsrBuilder[Math.Max(chunks, 1)];
        Parallel.For(0, parts.Length, c =>
        {
            var start = c * Featurizer.ChunkRows;
            var end = Math.Min(rows.Count, start + Featurizer.ChunkRows);
            var builder = new CsrBuilder(end - start, (end - start) * 24);
            var scratch = new BlockScratch();
            for (var i = start; i < end; i++)
            {
                var row = rows[i];
                for (var b = 0; b < bound.Length; b++)
                {
                    bound[b].AppendRow(row, builder, offsets[b], scratch);
                }

                builder.EndRow();
            }

            parts[c] = builder;
        });
        return CsrBuilder.Concatenate(parts, featurizer.FeatureCount);
    }

    internal static void EnsureCapacity<T>(ref T[] array, long needed)
    {
        if (needed > array.Length)
        {
            Array.Resize(ref array, (int)Math.Min(Array.MaxLength, Math.Max(needed, array.Length + (array.Length / 2) + 16)));
        }
    }
}

/// <summary>One raw column of an <see cref="EncodedPool"/>, in the form one kind of feature block reads.</summary>
internal interface IEncodedColumn
{
    string Column { get; }

    long EstimatedBytes { get; }

    bool Fits(IFeatureBlock block);

    void Append(IReadOnlyList<string?> values);

    IBoundColumn Bind(IFeatureBlock block);
}

/// <summary>An encoded column joined to one featurizer's block: appends a row's features.</summary>
internal interface IBoundColumn
{
    void AppendRow(int row, CsrBuilder output, int offset, BlockScratch scratch);
}

/// <summary>A text column as the ids of its n-grams (repeats included), each distinct n-gram hash interned once.</summary>
internal sealed class EncodedTextColumn(TextColumnBlock layout) : IEncodedColumn
{
    private const int ChunkRows = 8192;

    private readonly Dictionary<ulong, int> _intern = [];
    private ulong[] _hashes = new ulong[1024];
    private int[] _ids = new int[1024];
    private long[] _starts = new long[1025];
    private int _rows;

    public string Column => layout.Column;

    public long EstimatedBytes => (_ids.Length * 4L) + (_starts.Length * 8L) + (_hashes.Length * 8L) + (_intern.Count * 24L);

    public bool Fits(IFeatureBlock block) =>
        block is TextColumnBlock text && text.Column == layout.Column && text.TokenizationKey == layout.TokenizationKey;

    public void Append(IReadOnlyList<string?> values)
    {
        // Tokenizing runs in parallel per chunk; interning is sequential so that ids do not depend on the scheduling.
        for (var chunkStart = 0; chunkStart < values.Count; chunkStart += ChunkRows * Environment.ProcessorCount)
        {
            var chunkEnd = (int)Math.Min(values.Count, chunkStart + ((long)ChunkRows * Environment.ProcessorCount));
            var parts = Tokenize(values, chunkStart, chunkEnd);
            foreach (var (hashes, counts) in parts)
            {
                Intern(hashes, counts);
            }
        }
    }

    private (ulong[] Hashes, int[] Counts)[] Tokenize(IReadOnlyList<string?> values, int start, int end)
    {
        var parts = new (ulong[], int[])[(end - start + ChunkRows - 1) / ChunkRows];
        Parallel.For(0, parts.Length, p =>
        {
            var from = start + (p * ChunkRows);
            var to = Math.Min(end, from + ChunkRows);
            var scratch = new TextScratch();
            var hashes = new List<ulong>((to - from) * 16);
            var counts = new int[to - from];
            for (var row = from; row < to; row++)
            {
                var rowHashes = layout.Hashes(values[row], scratch);
                counts[row - from] = rowHashes.Length;
                hashes.AddRange(rowHashes);
            }

            parts[p] = ([.. hashes], counts);
        });
        return parts;
    }

    private void Intern(ulong[] hashes, int[] counts)
    {
        EncodedPool.EnsureCapacity(ref _starts, _rows + counts.Length + 1);
        var total = _starts[_rows];
        EncodedPool.EnsureCapacity(ref _ids, total + hashes.Length);
        foreach (var hash in hashes)
        {
            ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_intern, hash, out var exists);
            if (!exists)
            {
                id = _intern.Count - 1;
                EncodedPool.EnsureCapacity(ref _hashes, _intern.Count);
                _hashes[id] = hash;
            }

            _ids[total++] = id;
        }

        var start = _starts[_rows];
        foreach (var count in counts)
        {
            start += count;
            _starts[++_rows] = start;
        }
    }

    public IBoundColumn Bind(IFeatureBlock block)
    {
        var text = (TextColumnBlock)block;
        var columns = new int[_intern.Count];
        if (text.Vocabulary is { } vocabulary)
        {
            // A vocabulary is far smaller than the pool's n-grams: look its hashes up, not the pool's.
            Array.Fill(columns, -1);
            for (var column = 0; column < vocabulary.Count; column++)
            {
                if (_intern.TryGetValue(vocabulary[column], out var id))
                {
                    columns[id] = column;
                }
            }
        }
        else
        {
            for (var id = 0; id < columns.Length; id++)
            {
                columns[id] = text.ColumnOf(_hashes[id]);
            }
        }

        return new Bound(this, text, columns);
    }

    private sealed class Bound(EncodedTextColumn pool, TextColumnBlock block, int[] columns) : IBoundColumn
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void AppendRow(int row, CsrBuilder output, int offset, BlockScratch scratch)
        {
            var start = pool._starts[row];
            var ids = pool._ids.AsSpan((int)start, (int)(pool._starts[row + 1] - start));
            var indices = scratch.Text.Indices(ids.Length);
            var n = 0;
            foreach (var id in ids)
            {
                var column = columns[id];
                if (column >= 0)
                {
                    indices[n++] = column;
                }
            }

            block.AppendColumns(indices[..n], output, offset);
        }
    }
}

/// <summary>A numeric column as parsed numbers, NaN where the value is missing or unusable.</summary>
internal sealed class EncodedNumericColumn(string column) : IEncodedColumn
{
    private double[] _values = new double[1024];
    private int _rows;

    public string Column { get; } = column;

    public long EstimatedBytes => _values.Length * 8L;

    public bool Fits(IFeatureBlock block) => block is NumericColumnBlock numeric && numeric.Column == Column;

    public void Append(IReadOnlyList<string?> values)
    {
        EncodedPool.EnsureCapacity(ref _values, _rows + values.Count);
        var target = _values;
        var first = _rows;
        Parallel.For(0, (values.Count + 65535) / 65536, p =>
        {
            for (var i = p * 65536; i < Math.Min(values.Count, (p + 1) * 65536); i++)
            {
                target[first + i] = NumericColumnBlock.Encode(values[i]);
            }
        });
        _rows += values.Count;
    }

    public IBoundColumn Bind(IFeatureBlock block) => new Bound(_values, (NumericColumnBlock)block);

    private sealed class Bound(double[] values, NumericColumnBlock block) : IBoundColumn
    {
        public void AppendRow(int row, CsrBuilder output, int offset, BlockScratch scratch) => block.AppendEncoded(values[row], output, offset);
    }
}

/// <summary>A categorical column as interned category ids.</summary>
internal sealed class EncodedCategoricalColumn(string column) : IEncodedColumn
{
    private readonly Dictionary<string, int> _intern = new(StringComparer.Ordinal);
    private int[] _codes = new int[1024];
    private int _rows;

    public string Column { get; } = column;

    public long EstimatedBytes => (_codes.Length * 4L) + _intern.Keys.Sum(k => 48L + (2L * k.Length));

    public bool Fits(IFeatureBlock block) => block is CategoricalColumnBlock categorical && categorical.Column == Column;

    public void Append(IReadOnlyList<string?> values)
    {
        EncodedPool.EnsureCapacity(ref _codes, _rows + values.Count);
        foreach (var value in values)
        {
            ref var code = ref CollectionsMarshal.GetValueRefOrAddDefault(_intern, CategoricalColumnBlock.Normalize(value), out var exists);
            if (!exists)
            {
                code = _intern.Count - 1;
            }

            _codes[_rows++] = code;
        }
    }

    public IBoundColumn Bind(IFeatureBlock block)
    {
        var categorical = (CategoricalColumnBlock)block;
        var map = new int[_intern.Count];
        Array.Fill(map, -1);
        for (var i = 0; i < categorical.Categories.Count; i++)
        {
            if (_intern.TryGetValue(categorical.Categories[i], out var code))
            {
                map[code] = i;
            }
        }

        return new Bound(_codes, map);
    }

    private sealed class Bound(int[] codes, int[] map) : IBoundColumn
    {
        public void AppendRow(int row, CsrBuilder output, int offset, BlockScratch scratch)
        {
            var i = map[codes[row]];
            if (i >= 0)
            {
                output.Add(offset + i, 1f);
            }
        }
    }
}
