using ActiveLabel.Learning;
using ActiveLabel.Persistence.Reading;

namespace ActiveLabel.Trainer.Features.Training;

/// <summary>A project's columns as stored in the projects table.</summary>
internal sealed record ProjectColumns(string TaskType, string[] TextColumns, string[] FeatureColumns);

/// <summary>How a project's columns are featurized.</summary>
internal static class TrainingSchema
{
    /// <summary>
    /// Text columns get TF-IDF; a feature column is numeric when every non-empty value seen parses as a number, and
    /// categorical (one-hot) otherwise. Projects declare features without types, so the data decides.
    /// </summary>
    public static FeatureSchema For(ProjectColumns project, IEnumerable<ItemRow> sample)
    {
        var rows = sample.Select(r => r.Columns).ToList();
        var numeric = project.FeatureColumns.Where(c => ItemPayload.IsNumeric(rows, c)).ToArray();
        var categorical = project.FeatureColumns.Except(numeric).ToArray();
        return new FeatureSchema(project.TextColumns, numeric, categorical);
    }
}
