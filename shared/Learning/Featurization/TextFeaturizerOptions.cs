namespace ActiveLabel.Learning;

/// <summary>
/// How text becomes features. The defaults match scikit-learn's
/// <c>TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)</c>: tokens are runs of two or more Unicode letters, digits
/// or underscores, lower-cased; TF-IDF with smoothed IDF and sublinear term frequency; rows scaled to unit L2 norm.
/// </summary>
public sealed record TextFeaturizerOptions
{
    /// <summary>Longest word n-gram (1 = words only, 2 = words and word pairs).</summary>
    public int MaxWordNgram { get; init; } = 2;

    /// <summary>Shortest character n-gram, taken inside words padded with a space; 0 turns character n-grams off.</summary>
    public int MinCharNgram { get; init; }

    /// <summary>Longest character n-gram; used when <see cref="MinCharNgram"/> is positive.</summary>
    public int MaxCharNgram { get; init; }

    /// <summary>Drop English stop words (scikit-learn's list) before forming word n-grams.</summary>
    public bool RemoveEnglishStopWords { get; init; }

    /// <summary>Replace the learned vocabulary by feature hashing into 2^<see cref="HashBits"/> columns, for pools that grow without bound.</summary>
    public bool UseHashing { get; init; }

    /// <summary>Number of hash bits when <see cref="UseHashing"/> is set (10 to 26).</summary>
    public int HashBits { get; init; } = 20;

    /// <summary>Keep only terms that occur in at least this many documents of the fitting corpus (vocabulary mode).</summary>
    public int MinDocumentFrequency { get; init; } = 1;

    /// <summary>Weight terms by inverse document frequency, ln((1 + n) / (1 + df)) + 1.</summary>
    public bool UseIdf { get; init; } = true;

    /// <summary>Use 1 + ln(tf) in place of the raw term count.</summary>
    public bool SublinearTf { get; init; } = true;

    /// <summary>Scale each text column's vector to unit L2 norm.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Raw n-gram counts (no IDF, no sublinear TF, no normalisation): the input multinomial naive Bayes expects.</summary>
    public static TextFeaturizerOptions Counts { get; } = new() { UseIdf = false, SublinearTf = false, Normalize = false };

    internal void Validate()
    {
        if (MaxWordNgram < 0 || (MaxWordNgram == 0 && MinCharNgram == 0))
        {
            throw new ArgumentException("Text featurizer needs word n-grams (MaxWordNgram >= 1) or character n-grams.");
        }

        if (MinCharNgram < 0 || (MinCharNgram > 0 && MaxCharNgram < MinCharNgram))
        {
            throw new ArgumentException("Character n-gram range is invalid: need 0 < MinCharNgram <= MaxCharNgram.");
        }

        if (UseHashing && HashBits is < 10 or > 26)
        {
            throw new ArgumentException("HashBits must be between 10 and 26.");
        }
    }
}
