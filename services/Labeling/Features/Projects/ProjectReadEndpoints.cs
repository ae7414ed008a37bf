using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Entities;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Labeling.Features.Projects;

/// <summary>
/// <c>GET /api/projects</c> and <c>GET /api/projects/{projectId}</c>: what an annotator needs to label a project
/// (its columns, labels, descriptions and keys), read-only. Ingestion owns creating and changing projects; the web app
/// is served by Labeling, so it reads them here instead of calling another service from the browser.
/// </summary>
internal static class ProjectReadEndpoints
{
    public static IEndpointRouteBuilder MapProjectReads(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/projects", ListAsync).RequireAuthorization(Policies.Annotate);
        app.MapGet("/api/projects/{projectId:guid}", GetAsync).RequireAuthorization(Policies.Annotate);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext http, PlatformDbContext db, CancellationToken cancellationToken)
    {
        var userId = http.User.UserId();
        var projects = http.User.IsInRole(nameof(UserRole.Admin))
            ? db.Projects.AsNoTracking()
            : db.Projects.AsNoTracking().Where(p => db.ProjectMembers.Any(m => m.ProjectId == p.Id && m.UserId == userId));
        var list = await projects.OrderBy(p => p.Name).Include(p => p.Labels).ToListAsync(cancellationToken);
        return Results.Ok(list.Select(ToView));
    }

    private static async Task<IResult> GetAsync(Guid projectId, HttpContext http, PlatformDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        var project = await db.Projects.AsNoTracking().Include(p => p.Labels).SingleAsync(p => p.Id == projectId, cancellationToken);
        return Results.Ok(ToView(project));
    }

    private static ProjectView ToView(Project p) => new(
        p.Id,
        p.Name,
        p.TaskType.ToString().ToLowerInvariant(),
        p.TextColumns,
        p.FeatureColumns,
        p.RetrainEvery,
        [.. p.Labels.OrderBy(l => l.Position).Select(l => new LabelView(l.Name, l.Description, l.Key))]);
}

internal sealed record ProjectView(Guid Id, string Name, string TaskType, IReadOnlyList<string> TextColumns, IReadOnlyList<string> FeatureColumns, int RetrainEvery, IReadOnlyList<LabelView> Labels);

internal sealed record LabelView(string Name, string? Description, string? Key);
