using System.Security.Claims;
using System.Text.Json;
using ActiveLabel.Learning;
using ActiveLabel.Persistence;
using ActiveLabel.Scoring;
using ActiveLabel.ServiceDefaults.Security;
using Google.Protobuf.Collections;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ActiveLabel.QuerySampler.Features.Scoring;

/// <summary>
/// Scorer.Predict: the project's latest model scores stored items and raw items. Failures are thrown as
/// <see cref="GrpcException"/>; <see cref="GrpcUnaryEndpoint"/> turns them into statuses.
/// </summary>
internal sealed class PredictHandler(PlatformDbContext db, ModelCache models, IOptions<ScorerOptions> options)
{
    private const int IdsNamedInErrors = 10;

    public async Task<PredictResponse> PredictAsync(ClaimsPrincipal user, PredictRequest request, CancellationToken cancellationToken)
    {
        var projectId = ParseProjectId(request.ProjectId);
        ValidateShape(request, options.Value.MaxItemsPerRequest);

        // Non-members get NOT_FOUND, as over HTTP: they learn nothing about the project, not even that it exists.
        if (!await db.CanAccessProjectAsync(user, projectId, cancellationToken))
        {
            throw new GrpcException(GrpcStatusCode.NotFound, $"Project {projectId} not found.");
        }

        var project = await db.Projects.AsNoTracking().Where(p => p.Id == projectId)
            .Select(p => new { p.TextColumns, p.FeatureColumns }).SingleAsync(cancellationToken);
        var rawRows = request.Items.Select((item, i) => ToRow(item, i, project.TextColumns, project.FeatureColumns)).ToList();

        var (version, model) = await models.GetLatestAsync(db, projectId, cancellationToken)
            ?? throw new GrpcException(GrpcStatusCode.FailedPrecondition,
                $"No model has been trained for project {projectId} yet: one is trained once enough items are labeled.");

        var rows = await ReadStoredItemsAsync(projectId, request.ItemIds, cancellationToken);
        rows.AddRange(rawRows);
        var probabilities = model.PredictProba(ItemTable.FromRows(rows, model.Featurizer.Schema.AllColumns));

        var response = new PredictResponse { ModelVersion = version };
        response.Classes.AddRange(model.Classes);
        for (var row = 0; row < rows.Count; row++)
        {
            var itemId = row < request.ItemIds.Count ? request.ItemIds[row] : 0;
            response.Predictions.Add(ToPrediction(itemId, probabilities.AsSpan(row * model.Classes.Count, model.Classes.Count), model.Classes));
        }

        return response;
    }

    private static Guid ParseProjectId(string projectId) =>
        projectId.Length == 0
            ? throw new GrpcException(GrpcStatusCode.InvalidArgument, "project_id is required: the UUID of the project whose model scores the items.")
            : Guid.TryParse(projectId, out var id)
                ? id
                : throw new GrpcException(GrpcStatusCode.InvalidArgument, $"project_id '{Truncate(projectId)}' is not a UUID (e.g. 0f8fad5b-d9cb-469f-a165-70867728950e).");

    private static void ValidateShape(PredictRequest request, int maxItems)
    {
        var count = request.ItemIds.Count + request.Items.Count;
        if (count == 0)
        {
            throw new GrpcException(GrpcStatusCode.InvalidArgument, "Nothing to score: give item_ids, items, or both.");
        }

        if (count > maxItems)
        {
            throw new GrpcException(GrpcStatusCode.InvalidArgument, $"{count} items in one request; at most {maxItems} are allowed: split the request.");
        }

        var invalid = request.ItemIds.Where(id => id <= 0).Take(IdsNamedInErrors).ToList();
        if (invalid.Count > 0)
        {
            throw new GrpcException(GrpcStatusCode.InvalidArgument, $"item_ids must be positive; got {string.Join(", ", invalid)}.");
        }
    }

    /// <summary>A raw item as a row: <c>text</c> goes to the project's one text column, <c>fields</c> to the columns they name.</summary>
    private static Dictionary<string, string?> ToRow(RawItem item, int index, List<string> textColumns, List<string> featureColumns)
    {
        var row = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (column, value) in item.Fields)
        {
            if (!textColumns.Contains(column) && !featureColumns.Contains(column))
            {
                throw new GrpcException(GrpcStatusCode.InvalidArgument,
                    $"items[{index}].fields names column '{Truncate(column)}', which the project does not have; its columns are: {string.Join(", ", textColumns.Concat(featureColumns))}.");
            }

            row[column] = value;
        }

        if (item.Text.Length > 0)
        {
            if (textColumns.Count != 1)
            {
                throw new GrpcException(GrpcStatusCode.InvalidArgument,
                    $"items[{index}].text needs a project with exactly one text column; this one has {textColumns.Count} ({string.Join(", ", textColumns)}): give the values in fields.");
            }

            if (!row.TryAdd(textColumns[0], item.Text))
            {
                throw new GrpcException(GrpcStatusCode.InvalidArgument,
                    $"items[{index}] gives column '{textColumns[0]}' twice, as text and in fields: give it once.");
            }
        }

        return row.Count > 0
            ? row
            : throw new GrpcException(GrpcStatusCode.InvalidArgument, $"items[{index}] is empty: give its text or its fields.");
    }

    private async Task<List<IReadOnlyDictionary<string, string?>>> ReadStoredItemsAsync(Guid projectId, RepeatedField<long> itemIds, CancellationToken cancellationToken)
    {
        if (itemIds.Count == 0)
        {
            return [];
        }

        var ids = itemIds.Distinct().ToArray();
        var payloads = await db.Items.AsNoTracking().Where(i => i.ProjectId == projectId && ids.Contains(i.Id))
            .ToDictionaryAsync(i => i.Id, i => i.Payload, cancellationToken);
        var missing = ids.Where(id => !payloads.ContainsKey(id)).ToList();
        if (missing.Count > 0)
        {
            throw new GrpcException(GrpcStatusCode.NotFound,
                $"{missing.Count} item(s) not found in project {projectId}: {string.Join(", ", missing.Take(IdsNamedInErrors))}{(missing.Count > IdsNamedInErrors ? ", …" : "")}.");
        }

        return [.. itemIds.Select(id => (IReadOnlyDictionary<string, string?>)ParsePayload(payloads[id]))];
    }

    /// <summary>A stored payload (JSON object of column to value) as strings, the way the featurizer reads columns.</summary>
    private static Dictionary<string, string?> ParsePayload(string payload)
    {
        using var document = JsonDocument.Parse(payload);
        var row = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            row[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => property.Value.GetRawText(),
            };
        }

        return row;
    }

    private static Prediction ToPrediction(long itemId, ReadOnlySpan<float> scores, IReadOnlyList<string> classes)
    {
        // The classifier computes in single precision; renormalising in double makes the probabilities sum to 1 exactly enough.
        var probabilities = new double[scores.Length];
        var sum = 0.0;
        for (var c = 0; c < scores.Length; c++)
        {
            probabilities[c] = scores[c];
            sum += scores[c];
        }

        var best = 0;
        for (var c = 0; c < probabilities.Length; c++)
        {
            probabilities[c] /= sum;
            best = probabilities[c] > probabilities[best] ? c : best;
        }

        var prediction = new Prediction
        {
            ItemId = itemId,
            PredictedLabel = classes[best],
            Confidence = probabilities[best],
            LeastConfidence = Uncertainty.LeastConfidence(probabilities),
            Margin = Uncertainty.Margin(probabilities),
            Entropy = Uncertainty.Entropy(probabilities),
        };
        prediction.Probabilities.AddRange(probabilities);
        return prediction;
    }

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
