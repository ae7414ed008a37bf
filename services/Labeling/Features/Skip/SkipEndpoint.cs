using ActiveLabel.Labeling.Features.NextItem;
using ActiveLabel.Labeling.Features.RateLimiting;
using ActiveLabel.Persistence;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Labeling.Features.Skip;

/// <summary>
/// <c>POST /api/projects/{projectId}/items/{itemId}/skip</c>: the caller passes on an item. It is never served to them
/// again but stays in the queue for everyone else.
/// </summary>
internal static class SkipEndpoint
{
    public static IEndpointRouteBuilder MapSkip(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/projects/{projectId:guid}/items/{itemId:long}/skip", SkipAsync).RequireAuthorization(Policies.Annotate).RequireRateLimiting(RateLimits.PerUser);
        return app;
    }

    private static async Task<IResult> SkipAsync(Guid projectId, long itemId, HttpContext http, PlatformDbContext db, CandidateQueue candidates, CancellationToken cancellationToken)
    {
        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        if (!await db.Items.AnyAsync(i => i.Id == itemId && i.ProjectId == projectId, cancellationToken))
        {
            return Results.Problem($"Project {projectId} has no item {itemId}.", statusCode: StatusCodes.Status404NotFound);
        }

        var annotator = http.User.UserId();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO item_skips (item_id, annotator, project_id, created_at) VALUES ({itemId}, {annotator}, {projectId}, now()) ON CONFLICT DO NOTHING",
            cancellationToken);
        await db.ItemLeases.Where(l => l.ItemId == itemId && l.Annotator == annotator).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        candidates.Invalidate(projectId);
        return Results.NoContent();
    }
}
