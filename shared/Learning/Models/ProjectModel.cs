using System.Text;

namespace ActiveLabel.Learning;

/// <summary>
/// What a project's Trainer produces and its QuerySampler and Scorer use: the fitted <see cref="Featurizer"/>, the
/// trained <see cref="Classifier"/> and the class labels, serialized together into one versioned blob.
/// </summary>
public sealed class ProjectModel
{
    /// <summary>The version of the binary format written by <see cref="Serialize"/>; other versions are refused.</summary>
    public const int FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "ALPM"u8;

    private readonly Dictionary<string, int> _classIndex;

    /// <summary>Bundles a fitted featurizer and a classifier trained on its output.</summary>
    /// <exception cref="ArgumentException">The parts do not fit together.</exception>
    public ProjectModel(Featurizer featurizer, Classifier classifier, IReadOnlyList<string> classes, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(featurizer);
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(options);
        if (classifier.FeatureCount != featurizer.FeatureCount || classifier.ClassCount != classes.Count)
        {
            throw new ArgumentException("Classifier does not match the featurizer's width or the number of classes.");
        }

        Featurizer = featurizer;
        Classifier = classifier;
        Classes = [.. classes];
        Options = options;
        _classIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Classes.Count; i++)
        {
            _classIndex[Classes[i]] = i;
        }
    }

    /// <summary>The fitted featurizer.</summary>
    public Featurizer Featurizer { get; }

    /// <summary>The trained classifier.</summary>
    public Classifier Classifier { get; }

    /// <summary>The class labels, in the order of the probabilities (ordinal string order).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The options the model was trained with (text options live in the featurizer).</summary>
    public TrainingOptions Options { get; }

    /// <summary>
    /// Fits the featurizer on the labeled items plus the optional unlabeled pool, then trains the classifier on the
    /// labeled items.
    /// </summary>
    /// <exception cref="DataFormatException">A column is missing, a numeric value does not parse, or only one class is labeled.</exception>
    public static ProjectModel Train(FeatureSchema schema, ItemTable items, IReadOnlyList<string> labels, TrainingOptions? options = null, ItemTable? unlabeledPool = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(labels);
        options ??= new TrainingOptions();
        if (labels.Count != items.RowCount)
        {
            throw new ArgumentException($"{labels.Count} labels for {items.RowCount} items.", nameof(labels));
        }

        var classes = labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2)
        {
            throw new DataFormatException(classes.Length == 0
                ? "No labeled items: a model needs examples of at least two classes."
                : $"Only one class is labeled ('{classes[0]}'): a model needs examples of at least two classes.");
        }

        var corpus = unlabeledPool is null ? items : Concatenate(schema, items, unlabeledPool);
        var featurizer = Featurizer.Fit(schema, corpus, options.Text);
        var features = featurizer.Transform(items);
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        var classIndices = labels.Select(l => index[l]).ToArray();
        var classifier = Classifier.Fit(features, classIndices, classes.Length, options);
        return new ProjectModel(featurizer, classifier, classes, options);
    }

    /// <summary>Trains on texts with one label each; see <see cref="Train(FeatureSchema, ItemTable, IReadOnlyList{string}, TrainingOptions?, ItemTable?)"/>.</summary>
    public static ProjectModel TrainText(IReadOnlyList<string?> texts, IReadOnlyList<string> labels, TrainingOptions? options = null, IReadOnlyList<string?>? unlabeledPool = null) =>
        Train(FeatureSchema.Text(), ItemTable.FromTexts(texts), labels, options, unlabeledPool is null ? null : ItemTable.FromTexts(unlabeledPool));

    private static ItemTable Concatenate(FeatureSchema schema, ItemTable first, ItemTable second) =>
        new(schema.AllColumns.ToDictionary(
            c => c,
            c => (IReadOnlyList<string?>)[.. first.Column(c), .. second.Column(c)],
            StringComparer.Ordinal));

    /// <summary>The index of a class label, or -1 if the model does not know it.</summary>
    public int ClassIndex(string label) => _classIndex.GetValueOrDefault(label, -1);

    /// <summary>Featurizes items for scoring (in parallel); reuse the matrix across strategies.</summary>
    public FeatureMatrix Featurize(ItemTable items) => Featurizer.Transform(items);

    /// <summary>Featurizes texts of a single-text-column model.</summary>
    public FeatureMatrix Featurize(IReadOnlyList<string?> texts) => Featurizer.Transform(ItemTable.FromTexts(texts, SingleTextColumn()));

    /// <summary>Class probabilities of one raw item (column name to value), in the order of <see cref="Classes"/>.</summary>
    public double[] PredictProba(IReadOnlyDictionary<string, string?> item)
    {
        var features = Featurizer.Transform(item);
        var probabilities = new double[Classes.Count];
        Classifier.PredictProba(features, 0, probabilities);
        return probabilities;
    }

    /// <summary>Class probabilities of one text, for a model with a single text column.</summary>
    public double[] PredictProba(string text) =>
        PredictProba(new Dictionary<string, string?> { [SingleTextColumn()] = text });

    /// <summary>Class probabilities of many items, row-major (item × class).</summary>
    public float[] PredictProba(ItemTable items) => Classifier.PredictProba(Featurizer.Transform(items));

    private string SingleTextColumn() =>
        Featurizer.Schema is { TextColumns.Count: 1, NumericColumns.Count: 0, CategoricalColumns.Count: 0 }
            ? Featurizer.Schema.TextColumns[0]
            : throw new InvalidOperationException("This model reads several columns; pass items as column-to-value maps.");

    /// <summary>
    /// The model as bytes: magic "ALPM", format version, payload length, then options, classes, featurizer and
    /// classifier. Deterministic: the same model always gives the same bytes.
    /// </summary>
    public byte[] Serialize()
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            WriteOptions(writer, Options);
            BinaryFormat.WriteStrings(writer, Classes);
            Featurizer.Write(writer);
            Classifier.Write(writer);
        }

        using var output = new MemoryStream((int)payload.Length + 16);
        using (var writer = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(payload.Length);
            payload.Position = 0;
            payload.CopyTo(output);
        }

        return output.ToArray();
    }

    /// <summary>Reads a model written by <see cref="Serialize"/>.</summary>
    /// <exception cref="ModelFormatException">Not a model file, an unknown format version, or a truncated or corrupt file.</exception>
    public static ProjectModel Deserialize(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length < 16 || !data.AsSpan(0, 4).SequenceEqual(Magic))
        {
            throw new ModelFormatException("Not an ActiveLabel model file (missing 'ALPM' header).");
        }

        var version = BitConverter.ToInt32(data, 4);
        if (version != FormatVersion)
        {
            throw new ModelFormatException(
                $"Model file format version {version} is not supported: this build reads version {FormatVersion}. Retrain the model with this version of the platform.");
        }

        var length = BitConverter.ToInt64(data, 8);
        if (length != data.Length - 16)
        {
            throw new ModelFormatException($"Model file is truncated or corrupt: header says {length} bytes of payload, found {data.Length - 16}.");
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(data, 16, data.Length - 16, writable: false), Encoding.UTF8);
            var options = ReadOptions(reader);
            var classes = BinaryFormat.ReadStrings(reader);
            var featurizer = Featurizer.Read(reader);
            var classifier = Classifier.Read(reader);
            if (reader.BaseStream.Position != reader.BaseStream.Length)
            {
                throw new ModelFormatException("Model file is corrupt: unexpected bytes after the classifier.");
            }

            return new ProjectModel(featurizer, classifier, classes, options with { Text = new TextFeaturizerOptions() });
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or FormatException or DecoderFallbackException)
        {
            throw new ModelFormatException("Model file is truncated or corrupt.", e);
        }
    }

    private static void WriteOptions(BinaryWriter writer, TrainingOptions options)
    {
        writer.Write((byte)options.Kind);
        writer.Write(options.C);
        writer.Write(options.BalancedClassWeights);
        writer.Write(options.Tolerance);
        writer.Write(options.MaxIterations);
        writer.Write(options.NaiveBayesAlpha);
        writer.Write(options.Seed);
        BinaryFormat.WriteArray<double>(writer, options.ClassWeights is null ? [] : options.ClassWeights.ToArray());
        writer.Write(options.ClassWeights is not null);
    }

    private static TrainingOptions ReadOptions(BinaryReader reader)
    {
        var kind = (ModelKind)reader.ReadByte();
        var c = reader.ReadDouble();
        var balanced = reader.ReadBoolean();
        var tolerance = reader.ReadDouble();
        var maxIterations = reader.ReadInt32();
        var alpha = reader.ReadDouble();
        var seed = reader.ReadInt32();
        var weights = BinaryFormat.ReadArray<double>(reader);
        var hasWeights = reader.ReadBoolean();
        return new TrainingOptions
        {
            Kind = kind,
            C = c,
            BalancedClassWeights = balanced,
            Tolerance = tolerance,
            MaxIterations = maxIterations,
            NaiveBayesAlpha = alpha,
            Seed = seed,
            ClassWeights = hasWeights ? weights : null,
        };
    }
}
