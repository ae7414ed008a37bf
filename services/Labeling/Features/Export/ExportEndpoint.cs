using System.Globalization;
using System.Text;
using System.Text.Json;
using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Reading;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActiveLabel.Labeling.Features.Export;

/// <summary>
/// <c>GET /api/projects/{projectId}/export?format=jsonl|csv</c>: every label (seed labels and annotators' labels, one
/// row each) with the item's stable id, external id and content, streamed, ready to feed a training pipeline.
/// </summary>
internal static class ExportEndpoint
{
    private const string Sql = """
        SELECT i.id, i.external_id, l.label, 'annotator' AS source, l.annotator, l.query_session_id, coalesce(l.updated_at, l.created_at), i.payload::text
        FROM labels l JOIN items i ON i.id = l.item_id WHERE l.project_id = @project
        UNION ALL
        SELECT i.id, i.external_id, i.seed_label, 'seed', NULL, NULL, i.created_at, i.payload::text
        FROM items i WHERE i.project_id = @project AND i.seed_label IS NOT NULL
        ORDER BY 1, 4, 5
        """;

    private static readonly string[] FixedColumns = ["item_id", "external_id", "label", "source", "annotator", "query_session_id", "labeled_at"];

    public static IEndpointRouteBuilder MapExport(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/projects/{projectId:guid}/export", ExportAsync).RequireAuthorization(Policies.Annotate);
        return app;
    }

    private static async Task<IResult> ExportAsync(
        Guid projectId, string? format, HttpContext http, PlatformDbContext db, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        format = (format ?? "jsonl").ToLowerInvariant();
        if (format is not ("jsonl" or "csv"))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["format"] = ["format must be jsonl or csv."] });
        }

        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        var project = await db.Projects.AsNoTracking().SingleAsync(p => p.Id == projectId, cancellationToken);
        var columns = project.TextColumns.Concat(project.FeatureColumns).ToArray();
        http.Response.ContentType = format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{Sanitize(project.Name)}-labels.{format}\"";

        await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), bufferSize: 64 * 1024);
        if (format == "csv")
        {
            await writer.WriteLineAsync(string.Join(',', FixedColumns.Concat(columns).Select(Csv)));
        }

        await using var command = dataSource.CreateCommand(Sql);
        command.Parameters.AddWithValue("project", projectId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new ExportRow(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetInt32(5),
                reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7));
            await writer.WriteLineAsync(format == "csv" ? ToCsv(row, columns) : ToJson(row));
        }

        return Results.Empty;
    }

    private static string ToJson(ExportRow row)
    {
        using var payload = JsonDocument.Parse(row.Payload);
        return JsonSerializer.Serialize(new
        {
            item_id = row.ItemId,
            external_id = row.ExternalId,
            label = row.Label,
            source = row.Source,
            annotator = row.Annotator,
            query_session_id = row.SessionId,
            labeled_at = row.LabeledAt,
            payload = payload.RootElement,
        });
    }

    private static string ToCsv(ExportRow row, string[] columns)
    {
        var payload = ItemPayload.ToColumns(row.Payload);
        var values = new List<string?>
        {
            row.ItemId.ToString(CultureInfo.InvariantCulture), row.ExternalId, row.Label, row.Source, row.Annotator,
            row.SessionId?.ToString(CultureInfo.InvariantCulture), row.LabeledAt.ToString("O", CultureInfo.InvariantCulture),
        };
        values.AddRange(columns.Select(c => payload.GetValueOrDefault(c)));
        return string.Join(',', values.Select(Csv));
    }

    private static string Csv(string? value) =>
        value is null ? "" : value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    private static string Sanitize(string name) => new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')]);

    private sealed record ExportRow(long ItemId, string ExternalId, string Label, string Source, string? Annotator, int? SessionId, DateTimeOffset LabeledAt, string Payload);
}
