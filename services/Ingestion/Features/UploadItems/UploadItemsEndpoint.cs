using ActiveLabel.Ingestion.Data;
using ActiveLabel.Persistence;
using ActiveLabel.ServiceDefaults.Messaging;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace ActiveLabel.Ingestion.Features.UploadItems;

/// <summary>
/// <c>POST /api/projects/{projectId}/items</c>: a CSV, TSV, JSON Lines or plain-text file of items, read from the
/// request body as it arrives and streamed into the database (see <see cref="ItemBatchWriter"/>), so the size of
/// the file does not change the memory used.
/// </summary>
internal static class UploadItemsEndpoint
{
    private static readonly string[] KnownParameters = ["format", "labelColumn", "idColumn", "onError"];
    private static readonly string[] Formats = ["csv", "tsv", "jsonl", "text"];

    public static IEndpointRouteBuilder MapUploadItemsEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/projects/{projectId:guid}/items", UploadAsync).RequireAuthorization(Policies.Ingest);
        return app;
    }

    private static async Task<IResult> UploadAsync(
        Guid projectId, HttpContext http, PlatformDbContext db, IOptions<UploadOptions> options, OutboxSignal outbox, ILogger<UploadItemsResponse> logger,
        CancellationToken cancellationToken)
    {
        var limits = options.Value;
        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        if (ParseRequest(http.Request) is not { } request)
        {
            return BadRequest(http.Request);
        }

        if (http.Request.ContentLength > limits.MaxBodyBytes)
        {
            return TooLarge(limits);
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limits.MaxBodyBytes;
        }

        var target = (await IngestTarget.LoadAsync(db, projectId, cancellationToken))!;
        if (request.Format == "text" && (target.TextColumns.Count == 0 || request.LabelColumn is not null || request.IdColumn is not null))
        {
            return Results.Problem(
                target.TextColumns.Count == 0
                    ? "Plain text puts each line into the project's first text column, and this project has none; upload CSV or JSON Lines with its feature columns."
                    : "Plain text has no columns, so labelColumn and idColumn cannot be used; upload CSV or JSON Lines to carry labels or ids.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        var batchId = Guid.NewGuid();
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["ProjectId"] = projectId, ["BatchId"] = batchId });
        var lines = new Utf8LineReader(http.Request.Body, limits.MaxRowBytes);
        RowSource source = request.Format switch
        {
            "csv" => new DelimitedSource(lines, limits.MaxRowBytes, ','),
            "tsv" => new DelimitedSource(lines, limits.MaxRowBytes, '\t'),
            "jsonl" => new JsonLinesSource(lines, limits.MaxRowBytes),
            _ => new TextLineSource(lines, limits.MaxRowBytes, target.TextColumns[0]),
        };

        var errors = new RowErrors(limits.MaxReportedErrors);
        try
        {
            if (await lines.DetectUtf16Async(cancellationToken) is { } utf16)
            {
                return Results.Problem(
                    $"The file is {utf16} (it starts with a {utf16} byte order mark); save it as UTF-8 (a UTF-8 BOM is fine) and upload it again. Nothing was stored.",
                    statusCode: StatusCodes.Status415UnsupportedMediaType);
            }

            if (await source.StartAsync(cancellationToken) is { } headerError)
            {
                errors.Add(headerError);
                return Rejected(0, errors, "The file cannot be read; nothing was stored.");
            }

            if (source.Header is { } header && MissingColumns(header, target, request) is { Count: > 0 } missing)
            {
                foreach (var error in missing)
                {
                    errors.Add(error);
                }

                return Rejected(0, errors, "The file lacks columns the project needs; nothing was stored.");
            }

            await using var writer = await ItemBatchWriter.BeginAsync(
                db, projectId, TimeSpan.FromSeconds(limits.StatementTimeoutSeconds), () => new BatchKeyFilter(BatchKeyFilter.UploadBytes), cancellationToken);
            using var builder = new ItemBuilder(target);
            var received = 0;
            while (await source.ReadAsync(cancellationToken) is { } row)
            {
                received++;
                if (row.Error is not null)
                {
                    errors.Add(row.Error);
                    continue;
                }

                var fields = row.Fields!;
                var label = Take(fields, request.LabelColumn);
                var externalId = Take(fields, request.IdColumn);
                if (!builder.TryBuild(row.Row, fields, label, request.LabelColumn, externalId, request.IdColumn, out var item, out var rowError))
                {
                    errors.Add(rowError!);
                    continue;
                }

                // All-or-nothing stops staging at the first bad row but reads on, to report every bad row at once.
                if (request.SkipInvalid || errors.Rejected == 0)
                {
                    await writer.WriteAsync(item!, cancellationToken);
                }
            }

            if (received == 0)
            {
                // Nothing to store; an ItemsIngested of zeros would only wake the Trainer for nothing.
                return Results.Problem(
                    source.Header is null ? "The file holds no items (it is empty or blank); nothing was stored." : "The file has a header row but no rows below it; nothing was stored.",
                    statusCode: StatusCodes.Status422UnprocessableEntity, title: "The upload was rejected.");
            }

            if (!request.SkipInvalid && errors.Rejected > 0)
            {
                logger.LogInformation("Rejected upload to {ProjectId}: {Rejected} of {Received} rows invalid", projectId, errors.Rejected, received);
                return Rejected(received, errors, $"{errors.Rejected:N0} of {received:N0} rows are invalid; nothing was stored. Fix them, or upload with onError=skip to store the valid rows.");
            }

            var counts = await writer.CompleteAsync(projectId, batchId, received, errors.Rejected, cancellationToken);
            outbox.Notify();
            logger.LogInformation(
                "Ingested {Inserted} items into {ProjectId} from a {Format} upload ({Received} rows, {Duplicates} duplicates, {Rejected} rejected, {SeedLabels} seed labels)",
                counts.Inserted, projectId, request.Format, counts.Received, counts.Duplicates, counts.Rejected, counts.SeedLabels);
            return Results.Ok(new UploadItemsResponse(
                batchId, counts.Received, counts.Inserted, counts.Duplicates, counts.Rejected, counts.SeedLabels, errors.Reported, errors.Truncated));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(limits);
        }
    }

    private sealed record UploadRequest(string Format, string? LabelColumn, string? IdColumn, bool SkipInvalid);

    private static UploadRequest? ParseRequest(HttpRequest request)
    {
        var query = request.Query;
        if (query.Keys.Any(k => !KnownParameters.Contains(k, StringComparer.Ordinal)))
        {
            return null;
        }

        var format = FormatOf(request);
        var onError = query["onError"].ToString();
        if (format is null || onError is not ("" or "reject" or "skip"))
        {
            return null;
        }

        return new UploadRequest(format, Column(query["labelColumn"]), Column(query["idColumn"]), onError == "skip");
    }

    private static string? Column(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>The format from <c>?format=</c>, else from the Content-Type; null if neither names a supported one.</summary>
    private static string? FormatOf(HttpRequest request)
    {
        var explicitFormat = request.Query["format"].ToString().ToLowerInvariant();
        if (explicitFormat.Length > 0)
        {
            return explicitFormat == "ndjson" ? "jsonl" : Formats.Contains(explicitFormat) ? explicitFormat : null;
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType))
        {
            return null;
        }

        if (contentType.Charset is { Length: > 0 } charset && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return contentType.MediaType.Value?.ToLowerInvariant() switch
        {
            "text/csv" => "csv",
            "text/tab-separated-values" => "tsv",
            "application/x-ndjson" or "application/jsonl" or "application/x-jsonlines" or "application/jsonlines" => "jsonl",
            "text/plain" => "text",
            _ => null,
        };
    }

    /// <summary>Says which of the request's parts is wrong, since <see cref="ParseRequest"/> only says that one is.</summary>
    private static IResult BadRequest(HttpRequest request)
    {
        var unknown = request.Query.Keys.Where(k => !KnownParameters.Contains(k, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            return Results.Problem(
                $"Unknown query parameter(s): {string.Join(", ", unknown)}. Use: {string.Join(", ", KnownParameters)}.", statusCode: StatusCodes.Status400BadRequest);
        }

        var onError = request.Query["onError"].ToString();
        if (onError is not ("" or "reject" or "skip"))
        {
            return Results.Problem($"onError must be 'reject' (store nothing if any row is invalid; the default) or 'skip' (store the valid rows), not '{onError}'.", statusCode: StatusCodes.Status400BadRequest);
        }

        return Results.Problem(
            $"Cannot tell the file's format from format='{request.Query["format"]}' and Content-Type '{request.ContentType}'. Send UTF-8 with Content-Type text/csv, " +
            "text/tab-separated-values, application/x-ndjson (JSON Lines) or text/plain (one item per line), or add ?format=csv|tsv|jsonl|text.",
            statusCode: StatusCodes.Status415UnsupportedMediaType);
    }

    private static List<RowError> MissingColumns(IReadOnlyList<string> header, IngestTarget target, UploadRequest request)
    {
        var available = string.Join(", ", header);
        var wanted = target.ContentColumns.Append(request.LabelColumn).Append(request.IdColumn).OfType<string>().Distinct(StringComparer.Ordinal);
        return [.. wanted.Where(c => !header.Contains(c, StringComparer.Ordinal)).Select(c => new RowError(1, c, $"missing column '{c}'; the file has columns: {available}."))];
    }

    private static string? Take(List<KeyValuePair<string, string?>> fields, string? column)
    {
        if (column is null)
        {
            return null;
        }

        var index = fields.FindIndex(f => string.Equals(f.Key, column, StringComparison.Ordinal));
        if (index < 0)
        {
            return null;
        }

        var value = fields[index].Value;
        fields.RemoveAt(index);
        return value;
    }

    private static IResult Rejected(int received, RowErrors errors, string detail)
    {
        var first = errors.Reported[0];
        return Results.Problem(
            detail + $" First: row {first.Row}{(first.Column is null ? "" : $", column '{first.Column}'")}: {first.Reason}",
            statusCode: StatusCodes.Status422UnprocessableEntity,
            title: "The upload was rejected.",
            extensions: new Dictionary<string, object?>
            {
                ["received"] = received,
                ["rejected"] = errors.Rejected,
                ["errors"] = errors.Reported,
                ["errorsTruncated"] = errors.Truncated,
            });
    }

    private static IResult TooLarge(UploadOptions limits) => Results.Problem(
        $"The body is larger than the limit of {limits.MaxBodyBytes:N0} bytes (Ingestion:Upload:MaxBodyBytes); split the file, nothing was stored.",
        statusCode: StatusCodes.Status413PayloadTooLarge);
}
