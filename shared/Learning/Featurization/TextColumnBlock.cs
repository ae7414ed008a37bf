using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace ActiveLabel.Learning;

/// <summary>TF-IDF features of one text column: a vocabulary of n-gram hashes learned from a corpus, or feature hashing.</summary>
internal sealed class TextColumnBlock : IFeatureBlock
{
    private static readonly HashSet<ulong> StopWordHashes = [.. StopWords.English.Select(w => TokenHash.Chars(w, TokenHash.WordSalt))];

    private readonly TextFeaturizerOptions _options;
    private readonly ulong[] _vocabulary;
    private readonly Dictionary<ulong, int>? _index;
    private readonly float[] _idf;
    private readonly int _documentCount;

    private TextColumnBlock(string column, TextFeaturizerOptions options, ulong[] vocabulary, float[] idf, int documentCount)
    {
        Column = column;
        _options = options;
        _vocabulary = vocabulary;
        _idf = idf;
        _documentCount = documentCount;
        Width = options.UseHashing ? 1 << options.HashBits : vocabulary.Length;
        if (!options.UseHashing)
        {
            _index = new Dictionary<ulong, int>(vocabulary.Length);
            for (var i = 0; i < vocabulary.Length; i++)
            {
                _index[vocabulary[i]] = i;
            }
        }
    }

    public string Column { get; }

    public int Width { get; }

    public static TextColumnBlock Fit(string column, IReadOnlyList<string?> corpus, TextFeaturizerOptions options)
    {
        options.Validate();
        return options.UseHashing ? FitHashed(column, corpus, options) : FitVocabulary(column, corpus, options);
    }

    private static TextColumnBlock FitVocabulary(string column, IReadOnlyList<string?> corpus, TextFeaturizerOptions options)
    {
        // Document frequencies are counted per partition and summed, so the result does not depend on the partitioning.
        var partitions = Partition(corpus.Count);
        var partial = new Dictionary<ulong, int>[partitions.Length];
        Parallel.For(0, partitions.Length, p =>
        {
            var counts = new Dictionary<ulong, int>();
            var scratch = new TextScratch();
            for (var row = partitions[p].Start; row < partitions[p].End; row++)
            {
                foreach (var hash in UniqueHashes(corpus[row], options, scratch))
                {
                    counts[hash] = counts.GetValueOrDefault(hash) + 1;
                }
            }

            partial[p] = counts;
        });

        var df = partial[0];
        foreach (var counts in partial.Skip(1))
        {
            foreach (var (hash, count) in counts)
            {
                df[hash] = df.GetValueOrDefault(hash) + count;
            }
        }

        var vocabulary = df.Where(kv => kv.Value >= options.MinDocumentFrequency).Select(kv => kv.Key).ToArray();
        Array.Sort(vocabulary);
        var idf = options.UseIdf ? vocabulary.Select(h => Idf(corpus.Count, df[h])).ToArray() : [];
        return new TextColumnBlock(column, options, vocabulary, idf, corpus.Count);
    }

    private static TextColumnBlock FitHashed(string column, IReadOnlyList<string?> corpus, TextFeaturizerOptions options)
    {
        var width = 1 << options.HashBits;
        var idf = Array.Empty<float>();
        if (options.UseIdf)
        {
            var df = new int[width];
            var scratch = new TextScratch();
            for (var row = 0; row < corpus.Count; row++)
            {
                foreach (var hash in UniqueHashes(corpus[row], options, scratch))
                {
                    df[Bucket(hash, options.HashBits)]++;
                }
            }

            idf = new float[width];
            for (var i = 0; i < width; i++)
            {
                idf[i] = Idf(corpus.Count, df[i]);
            }
        }

        return new TextColumnBlock(column, options, [], idf, corpus.Count);
    }

    private static float Idf(int documents, int documentFrequency) =>
        (float)(Math.Log((1.0 + documents) / (1.0 + documentFrequency)) + 1.0);

    private static int Bucket(ulong hash, int bits) => (int)(hash >> (64 - bits));

    private static (int Start, int End)[] Partition(int count)
    {
        var parts = Math.Max(1, Math.Min(Environment.ProcessorCount, count / 2048));
        return [.. Enumerable.Range(0, parts).Select(p => ((int)((long)count * p / parts), (int)((long)count * (p + 1) / parts)))];
    }

    private static ReadOnlySpan<ulong> UniqueHashes(string? text, TextFeaturizerOptions options, TextScratch scratch)
    {
        var hashes = scratch.CollectHashes(text, options, StopWordHashes);
        hashes.Sort();
        var n = 0;
        for (var i = 0; i < hashes.Length; i++)
        {
            if (i == 0 || hashes[i] != hashes[i - 1])
            {
                hashes[n++] = hashes[i];
            }
        }

        return hashes[..n];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AppendRow(string? value, CsrBuilder output, int offset, BlockScratch scratch)
    {
        var text = scratch.Text;
        var hashes = text.CollectHashes(value, _options, StopWordHashes);
        var indices = text.Indices(hashes.Length);
        var n = 0;
        foreach (var hash in hashes)
        {
            var column = ColumnOf(hash);
            if (column >= 0)
            {
                indices[n++] = column;
            }
        }

        AppendColumns(indices[..n], output, offset);
    }

    /// <summary>What <see cref="Hashes"/> depends on: two blocks with equal keys produce the same hashes for a text.</summary>
    public (int MaxWordNgram, int MinCharNgram, int MaxCharNgram, bool RemoveEnglishStopWords) TokenizationKey =>
        (_options.MaxWordNgram, _options.MinCharNgram, _options.MaxCharNgram, _options.RemoveEnglishStopWords);

    /// <summary>Every n-gram hash of the text, repeats included, in the scratch's buffer (valid until its next use).</summary>
    public Span<ulong> Hashes(string? value, TextScratch scratch) => scratch.CollectHashes(value, _options, StopWordHashes);

    /// <summary>The feature column of an n-gram hash, or -1 when it is not in the vocabulary.</summary>
    public int ColumnOf(ulong hash) =>
        _index is null ? Bucket(hash, _options.HashBits) : _index.TryGetValue(hash, out var column) ? column : -1;

    /// <summary>The vocabulary's hashes in column order, or null with feature hashing.</summary>
    public IReadOnlyList<ulong>? Vocabulary => _index is null ? null : _vocabulary;

    /// <summary>Appends the TF-IDF features of a row given the feature column of each of its n-grams (repeats included); sorts the span.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AppendColumns(Span<int> present, CsrBuilder output, int offset)
    {
        present.Sort();
        var sumSquares = 0.0;
        var added = 0;
        for (var i = 0; i < present.Length;)
        {
            var j = i + 1;
            while (j < present.Length && present[j] == present[i])
            {
                j++;
            }

            double weight = j - i;
            if (_options.SublinearTf && j - i > 1)
            {
                // ln 1 = 0: most n-grams occur once in a row, and skipping the call changes no value.
                weight = 1.0 + Math.Log(weight);
            }

            if (_options.UseIdf)
            {
                weight *= _idf[present[i]];
            }

            var stored = (float)weight;
            output.Add(offset + present[i], stored);
            sumSquares += (double)stored * stored;
            added++;
            i = j;
        }

        if (_options.Normalize && sumSquares > 0)
        {
            var scale = 1.0 / Math.Sqrt(sumSquares);
            var values = output.CurrentRowValues;
            for (var i = values.Length - added; i < values.Length; i++)
            {
                values[i] = (float)(values[i] * scale);
            }
        }
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write((byte)BlockKind.Text);
        writer.Write(Column);
        writer.Write(_options.MaxWordNgram);
        writer.Write(_options.MinCharNgram);
        writer.Write(_options.MaxCharNgram);
        writer.Write(_options.RemoveEnglishStopWords);
        writer.Write(_options.UseHashing);
        writer.Write(_options.HashBits);
        writer.Write(_options.MinDocumentFrequency);
        writer.Write(_options.UseIdf);
        writer.Write(_options.SublinearTf);
        writer.Write(_options.Normalize);
        writer.Write(_documentCount);
        BinaryFormat.WriteArray<ulong>(writer, _vocabulary);
        BinaryFormat.WriteArray<float>(writer, _idf);
    }

    public static TextColumnBlock Read(BinaryReader reader)
    {
        var column = reader.ReadString();
        var options = new TextFeaturizerOptions
        {
            MaxWordNgram = reader.ReadInt32(),
            MinCharNgram = reader.ReadInt32(),
            MaxCharNgram = reader.ReadInt32(),
            RemoveEnglishStopWords = reader.ReadBoolean(),
            UseHashing = reader.ReadBoolean(),
            HashBits = reader.ReadInt32(),
            MinDocumentFrequency = reader.ReadInt32(),
            UseIdf = reader.ReadBoolean(),
            SublinearTf = reader.ReadBoolean(),
            Normalize = reader.ReadBoolean(),
        };
        var documentCount = reader.ReadInt32();
        var vocabulary = BinaryFormat.ReadArray<ulong>(reader);
        var idf = BinaryFormat.ReadArray<float>(reader);
        options.Validate();
        return new TextColumnBlock(column, options, vocabulary, idf, documentCount);
    }
}

/// <summary>Per-thread buffers for tokenizing, reused across rows so featurizing allocates nothing per item.</summary>
internal sealed class TextScratch
{
    private ulong[] _hashes = new ulong[256];
    private ulong[] _tokens = new ulong[128];
    private char[] _chars = new char[128];
    private int[] _indices = new int[256];
    private int _hashCount;

    public Span<int> Indices(int length)
    {
        if (_indices.Length < length)
        {
            _indices = new int[Math.Max(length, _indices.Length * 2)];
        }

        return _indices.AsSpan(0, length);
    }

    /// <summary>
    /// Hashes of every word n-gram and character n-gram of the text, repeats included. Tokens are maximal runs of Unicode
    /// letters, digits and underscores (scikit-learn's <c>(?u)\b\w\w+\b</c>); words of one character feed character
    /// n-grams only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Span<ulong> CollectHashes(string? text, TextFeaturizerOptions options, HashSet<ulong> stopWords)
    {
        _hashCount = 0;
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        var tokenCount = 0;
        var length = 0;
        var i = 0;
        while (i <= text.Length)
        {
            var advance = 1;
            var isWord = false;
            if (i < text.Length)
            {
                var c = text[i];
                if (c < 128)
                {
                    isWord = char.IsAsciiLetterOrDigit(c) || c == '_';
                }
                else if (Rune.TryGetRuneAt(text, i, out var rune))
                {
                    isWord = IsWordRune(rune);
                    advance = rune.Utf16SequenceLength;
                }
            }

            if (isWord)
            {
                EnsureChars(length + advance + 2);
                if (advance == 1)
                {
                    _chars[length + 1] = char.ToLowerInvariant(text[i]);
                }
                else
                {
                    Rune.ToLowerInvariant(Rune.GetRuneAt(text, i)).EncodeToUtf16(_chars.AsSpan(length + 1));
                }

                length += advance;
            }
            else if (length > 0)
            {
                EndToken(length, options, stopWords, ref tokenCount);
                length = 0;
            }

            i += advance;
        }

        AddWordNgrams(tokenCount, options.MaxWordNgram);
        return _hashes.AsSpan(0, _hashCount);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EndToken(int length, TextFeaturizerOptions options, HashSet<ulong> stopWords, ref int tokenCount)
    {
        // _chars holds " token " with the token at [1, length]: the padding char n-grams need at word boundaries.
        if (options.MinCharNgram > 0)
        {
            _chars[0] = ' ';
            _chars[length + 1] = ' ';
            var padded = _chars.AsSpan(0, length + 2);
            for (var n = options.MinCharNgram; n <= options.MaxCharNgram && n <= padded.Length; n++)
            {
                for (var start = 0; start + n <= padded.Length; start++)
                {
                    AddHash(TokenHash.Chars(padded.Slice(start, n), TokenHash.CharSalt));
                }
            }
        }

        if (length < 2 || options.MaxWordNgram == 0)
        {
            return;
        }

        var hash = TokenHash.Chars(_chars.AsSpan(1, length), TokenHash.WordSalt);
        if (options.RemoveEnglishStopWords && stopWords.Contains(hash))
        {
            return;
        }

        if (tokenCount == _tokens.Length)
        {
            Array.Resize(ref _tokens, tokenCount * 2);
        }

        _tokens[tokenCount++] = hash;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddWordNgrams(int tokenCount, int maxNgram)
    {
        for (var start = 0; start < tokenCount; start++)
        {
            var hash = _tokens[start];
            AddHash(hash);
            for (var n = 2; n <= maxNgram && start + n <= tokenCount; n++)
            {
                hash = TokenHash.Pair(hash, _tokens[start + n - 1]);
                AddHash(hash);
            }
        }
    }

    private void AddHash(ulong hash)
    {
        if (_hashCount == _hashes.Length)
        {
            Array.Resize(ref _hashes, _hashCount * 2);
        }

        _hashes[_hashCount++] = hash;
    }

    private void EnsureChars(int length)
    {
        if (_chars.Length < length)
        {
            Array.Resize(ref _chars, Math.Max(length, _chars.Length * 2));
        }
    }

    private static bool IsWordRune(Rune rune) =>
        Rune.IsLetterOrDigit(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
            or UnicodeCategory.ConnectorPunctuation;
}
