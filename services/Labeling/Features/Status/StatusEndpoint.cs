using System.Text.Json;
using ActiveLabel.Persistence;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActiveLabel.Labeling.Features.Status;

/// <summary>
/// <c>GET /api/projects/{projectId}/status</c>: where a project stands: items and labels, every model version with its
/// metrics (the metric history), the current query session, and how far the next retrain is.
/// </summary>
internal static class StatusEndpoint
{
    private const string CountsSql = """
        SELECT count(*), count(*) FILTER (WHERE is_labeled), count(seed_label),
               (SELECT count(*) FROM labels WHERE project_id = @project),
               (SELECT count(*) FROM item_leases WHERE project_id = @project AND expires_at > now()),
               (SELECT count(*) FROM labels l WHERE l.project_id = @project AND l.id > coalesce(
                   (SELECT last_label_id FROM model_versions WHERE project_id = @project ORDER BY version DESC LIMIT 1), 0)),
               (SELECT count(*) FROM labels WHERE project_id = @project AND annotator = @annotator)
        FROM items WHERE project_id = @project
        """;

    public static IEndpointRouteBuilder MapStatus(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/projects/{projectId:guid}/status", StatusAsync).RequireAuthorization(Policies.Annotate);
        return app;
    }

    private static async Task<IResult> StatusAsync(Guid projectId, HttpContext http, PlatformDbContext db, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        var project = await db.Projects.AsNoTracking().SingleAsync(p => p.Id == projectId, cancellationToken);
        await using var command = dataSource.CreateCommand(CountsSql);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("annotator", http.User.UserId());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var counts = new ItemCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(0) - reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
        var sinceLastModel = reader.GetInt64(5);
        var yourLabels = reader.GetInt64(6);

        var models = await db.ModelVersions.AsNoTracking().Where(m => m.ProjectId == projectId).OrderBy(m => m.Version)
            .Select(m => new { m.Version, m.TrainedOnLabels, m.Metrics, m.TrainingDurationMs, m.CreatedAt }).ToListAsync(cancellationToken);
        var session = await db.QuerySessions.AsNoTracking().Where(s => s.ProjectId == projectId).OrderByDescending(s => s.SessionId)
            .Select(s => new SessionStatus(s.SessionId, s.ModelVersion, s.Strategy, s.QueryCount, s.CreatedAt)).FirstOrDefaultAsync(cancellationToken);

        return Results.Ok(new ProjectStatus(
            projectId,
            project.Name,
            counts,
            [.. models.Select(m => new ModelStatus(m.Version, m.TrainedOnLabels, JsonSerializer.Deserialize<JsonElement>(m.Metrics), m.TrainingDurationMs, m.CreatedAt))],
            session,
            new RetrainStatus(project.RetrainEvery, sinceLastModel),
            yourLabels));
    }
}

/// <summary>A project's status; <see cref="YourLabels"/> counts the caller's own labels.</summary>
internal sealed record ProjectStatus(
    Guid ProjectId, string Name, ItemCounts Items, IReadOnlyList<ModelStatus> Models, SessionStatus? CurrentSession, RetrainStatus Retrain, long YourLabels);

internal sealed record ItemCounts(long Total, long Labeled, long Unlabeled, long SeedLabels, long AnnotatorLabels, long Leased);

internal sealed record ModelStatus(int Version, int TrainedOnLabels, JsonElement Metrics, int TrainingDurationMs, DateTimeOffset CreatedAt);

internal sealed record SessionStatus(int SessionId, int? ModelVersion, string Strategy, int QueryCount, DateTimeOffset CreatedAt);

/// <summary>The Dataiku-style trigger: a new model after <see cref="Every"/> labels; <see cref="LabelsSinceLastModel"/> counts towards it.</summary>
internal sealed record RetrainStatus(int Every, long LabelsSinceLastModel);
