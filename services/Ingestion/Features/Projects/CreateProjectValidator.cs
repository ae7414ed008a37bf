namespace ActiveLabel.Ingestion.Features.Projects;

/// <summary>Checks a project definition and says, per field, what to fix.</summary>
internal static class CreateProjectValidator
{
    public const int MaxLabels = 100;

    // Names the QuerySampler implements; kept in step with the learning engine's strategy registry.
    public static readonly IReadOnlySet<string> QueryStrategies = new HashSet<string>(StringComparer.Ordinal)
    {
        "least_confidence", "smallest_margin", "entropy", "random", "committee_vote_entropy", "committee_kl", "diversity", "density_weighted",
    };

    public static Dictionary<string, string[]> Validate(CreateProjectRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        void Fail(string field, string message) => errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];

        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
        {
            Fail("name", "Give the project a name of 1 to 200 characters.");
        }

        var taskType = request.TaskType?.ToLowerInvariant();
        if (taskType is not ("text" or "tabular"))
        {
            Fail("taskType", "taskType must be \"text\" or \"tabular\".");
        }

        ValidateLabels(request.Labels, Fail);

        var textColumns = request.TextColumns ?? [];
        var featureColumns = request.FeatureColumns ?? [];
        if (taskType == "tabular" && featureColumns.Count == 0 && textColumns.Count == 0)
        {
            Fail("featureColumns", "A tabular project needs at least one feature or text column.");
        }

        var columns = textColumns.Concat(featureColumns).ToList();
        if (columns.Any(c => string.IsNullOrWhiteSpace(c) || c.Length > 200))
        {
            Fail("textColumns", "Column names must be 1 to 200 characters.");
        }

        if (columns.Distinct(StringComparer.Ordinal).Count() != columns.Count)
        {
            Fail("featureColumns", "A column may appear only once across textColumns and featureColumns.");
        }

        if (request.RetrainEvery is < 1 or > 1_000_000)
        {
            Fail("retrainEvery", "retrainEvery must be between 1 and 1,000,000 labels.");
        }

        if (request.QueryStrategy is { } strategy && !QueryStrategies.Contains(strategy))
        {
            Fail("queryStrategy", $"Unknown query strategy '{strategy}'. Use one of: {string.Join(", ", QueryStrategies.Order())}.");
        }

        if (request.QueryBatchSize is < 1 or > 1_000_000)
        {
            Fail("queryBatchSize", "queryBatchSize must be between 1 and 1,000,000.");
        }

        return errors;
    }

    private static void ValidateLabels(IReadOnlyList<LabelDefinition>? labels, Action<string, string> fail)
    {
        if (labels is null || labels.Count < 2 || labels.Count > MaxLabels)
        {
            fail("labels", $"A project needs 2 to {MaxLabels} labels.");
            return;
        }

        for (var i = 0; i < labels.Count; i++)
        {
            var label = labels[i];
            if (string.IsNullOrWhiteSpace(label.Name) || label.Name.Length > 100 || label.Name.Trim() != label.Name)
            {
                fail($"labels[{i}].name", "A label name is 1 to 100 characters without leading or trailing spaces.");
            }

            if (label.Key is { } key && (key.Length is 0 or > 16 || key.Any(char.IsWhiteSpace)))
            {
                fail($"labels[{i}].key", "A key is 1 to 16 characters without spaces, e.g. \"c\" or \"1\".");
            }

            if (label.Description is { Length: > 2000 })
            {
                fail($"labels[{i}].description", "A description is at most 2,000 characters.");
            }
        }

        if (labels.Select(l => l.Name).Distinct(StringComparer.Ordinal).Count() != labels.Count)
        {
            fail("labels", "Label names must be unique.");
        }

        var keys = labels.Where(l => l.Key is not null).Select(l => l.Key!).ToList();
        if (keys.Distinct(StringComparer.OrdinalIgnoreCase).Count() != keys.Count)
        {
            fail("labels", "Label keys must be unique.");
        }
    }
}
