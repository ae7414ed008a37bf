namespace ActiveLabel.Learning;

/// <summary>
/// Turns raw items into sparse feature vectors according to a <see cref="FeatureSchema"/>: TF-IDF n-grams for text
/// columns, standardised values for numeric columns, one-hot codes for categorical columns. Fitted once (vocabulary,
/// IDF, means and scales, categories), then applied to any number of items; thread-safe after fitting.
/// </summary>
public sealed class Featurizer
{
    internal const int ChunkRows = 4096;

    private readonly IFeatureBlock[] _blocks;
    private readonly int[] _offsets;

    private Featurizer(FeatureSchema schema, IFeatureBlock[] blocks)
    {
        Schema = schema;
        _blocks = blocks;
        _offsets = new int[blocks.Length];
        var offset = 0;
        for (var i = 0; i < blocks.Length; i++)
        {
            _offsets[i] = offset;
            offset += blocks[i].Width;
        }

        FeatureCount = offset;
    }

    /// <summary>The columns this featurizer reads.</summary>
    public FeatureSchema Schema { get; }

    /// <summary>Length of the feature vectors produced.</summary>
    public int FeatureCount { get; }

    /// <summary>The blocks in output order; <see cref="EncodedPool"/> binds its encoded columns to them.</summary>
    internal IReadOnlyList<IFeatureBlock> Blocks => _blocks;

    /// <summary>Where each block's features start in the output vector.</summary>
    internal IReadOnlyList<int> Offsets => _offsets;

    /// <summary>
    /// Learns the vocabulary, IDF weights, scales and categories from a corpus (typically the labeled items plus the
    /// unlabeled pool, which is what the model will be asked to score).
    /// </summary>
    /// <exception cref="DataFormatException">A column is missing or a numeric column holds a non-numeric value.</exception>
    public static Featurizer Fit(FeatureSchema schema, ItemTable corpus, TextFeaturizerOptions? textOptions = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(corpus);
        schema.Validate();
        var options = textOptions ?? new TextFeaturizerOptions();
        var blocks = new List<IFeatureBlock>();
        blocks.AddRange(schema.NumericColumns.Select(c => NumericColumnBlock.Fit(c, corpus.Column(c))));
        blocks.AddRange(schema.CategoricalColumns.Select(c => CategoricalColumnBlock.Fit(c, corpus.Column(c))));
        blocks.AddRange(schema.TextColumns.Select(c => TextColumnBlock.Fit(c, corpus.Column(c), options)));
        return new Featurizer(schema, [.. blocks]);
    }

    /// <summary>Featurizes items, in parallel over blocks of rows; the result does not depend on the degree of parallelism.</summary>
    /// <exception cref="DataFormatException">A column of the schema is missing from the table.</exception>
    public FeatureMatrix Transform(ItemTable items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var columns = _blocks.Select(b => items.Column(b.Column)).ToArray();
        var chunks = (items.RowCount + ChunkRows - 1) / ChunkRows;
        if (chunks <= 1)
        {
            return TransformRows(columns, 0, items.RowCount).Build(FeatureCount);
        }

        var parts = new CsrBuilder[chunks];
        Parallel.For(0, chunks, c => parts[c] = TransformRows(columns, c * ChunkRows, Math.Min(items.RowCount, (c + 1) * ChunkRows)));
        return CsrBuilder.Concatenate(parts, FeatureCount);
    }

    /// <summary>Featurizes a single item given as column name to value pairs.</summary>
    public FeatureMatrix Transform(IReadOnlyDictionary<string, string?> item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return Transform(ItemTable.FromRows([item], Schema.AllColumns));
    }

    private CsrBuilder TransformRows(IReadOnlyList<string?>[] columns, int start, int end)
    {
        var builder = new CsrBuilder(end - start, (end - start) * 24);
        var scratch = new BlockScratch();
        for (var row = start; row < end; row++)
        {
            for (var b = 0; b < _blocks.Length; b++)
            {
                _blocks[b].AppendRow(columns[b][row], builder, _offsets[b], scratch);
            }

            builder.EndRow();
        }

        return builder;
    }

    internal void Write(BinaryWriter writer)
    {
        BinaryFormat.WriteStrings(writer, Schema.TextColumns);
        BinaryFormat.WriteStrings(writer, Schema.NumericColumns);
        BinaryFormat.WriteStrings(writer, Schema.CategoricalColumns);
        writer.Write(_blocks.Length);
        foreach (var block in _blocks)
        {
            block.Write(writer);
        }
    }

    internal static Featurizer Read(BinaryReader reader)
    {
        var schema = new FeatureSchema(BinaryFormat.ReadStrings(reader), BinaryFormat.ReadStrings(reader), BinaryFormat.ReadStrings(reader));
        var blocks = new IFeatureBlock[BinaryFormat.ReadLength(reader)];
        for (var i = 0; i < blocks.Length; i++)
        {
            blocks[i] = (BlockKind)reader.ReadByte() switch
            {
                BlockKind.Text => TextColumnBlock.Read(reader),
                BlockKind.Numeric => NumericColumnBlock.Read(reader),
                BlockKind.Categorical => CategoricalColumnBlock.Read(reader),
                var kind => throw new ModelFormatException($"Unknown feature block kind {(byte)kind} in model file."),
            };
        }

        return new Featurizer(schema, blocks);
    }
}
