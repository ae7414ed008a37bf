namespace ActiveLabel.Learning;

/// <summary>
/// Which columns of an <see cref="ItemTable"/> a model reads, and how: text columns get TF-IDF n-grams,
/// numeric columns are standardised (missing values imputed with the mean), categorical columns are one-hot encoded.
/// </summary>
/// <param name="TextColumns">Free-text columns.</param>
/// <param name="NumericColumns">Numeric columns; a value that does not parse (invariant culture) is an error when training.</param>
/// <param name="CategoricalColumns">Categorical columns; categories unseen in training encode as all zeros.</param>
public sealed record FeatureSchema(
    IReadOnlyList<string> TextColumns,
    IReadOnlyList<string> NumericColumns,
    IReadOnlyList<string> CategoricalColumns)
{
    /// <summary>The column name used by <see cref="ItemTable.FromTexts"/> and <see cref="Text"/>.</summary>
    public const string DefaultTextColumn = "text";

    /// <summary>A schema with a single text column.</summary>
    public static FeatureSchema Text(string column = DefaultTextColumn) => new([column], [], []);

    /// <summary>A schema with numeric columns only.</summary>
    public static FeatureSchema Numeric(params IReadOnlyList<string> columns) => new([], columns, []);

    /// <summary>All columns named by the schema.</summary>
    public IEnumerable<string> AllColumns => TextColumns.Concat(NumericColumns).Concat(CategoricalColumns);

    /// <summary>Throws when the schema names no column or a column twice.</summary>
    /// <exception cref="ArgumentException">The schema is empty or repeats a column.</exception>
    public void Validate()
    {
        var all = AllColumns.ToList();
        if (all.Count == 0)
        {
            throw new ArgumentException("The feature schema names no column: give at least one text, numeric or categorical column.");
        }

        var repeated = all.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
        {
            throw new ArgumentException($"Column '{repeated.Key}' appears more than once in the feature schema.");
        }
    }
}
