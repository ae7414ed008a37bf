using System.Text.Json;
using ActiveLabel.Labeling.Features.RateLimiting;
using ActiveLabel.Persistence;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ActiveLabel.Labeling.Features.NextItem;

/// <summary><c>POST /api/projects/{projectId}/next</c>: lease the next most informative item to the caller.</summary>
internal static class NextItemEndpoint
{
    public static IEndpointRouteBuilder MapNextItem(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/projects/{projectId:guid}/next", NextAsync).RequireAuthorization(Policies.Annotate).RequireRateLimiting(RateLimits.PerUser);
        app.MapDelete("/api/projects/{projectId:guid}/items/{itemId:long}/lease", ReleaseAsync).RequireAuthorization(Policies.Annotate);
        return app;
    }

    private static async Task<IResult> NextAsync(
        Guid projectId, HttpContext http, PlatformDbContext db, ItemLeaser leaser, IOptions<LeaseOptions> options, CancellationToken cancellationToken)
    {
        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        var itemId = await leaser.LeaseNextAsync(projectId, http.User.UserId(), options.Value, cancellationToken);
        if (itemId is null)
        {
            return Results.NoContent();
        }

        var served = await (
            from lease in db.ItemLeases
            join item in db.Items on lease.ItemId equals item.Id
            where lease.ItemId == itemId
            join q in db.Queries on new { lease.ProjectId, SessionId = lease.SessionId ?? -1, lease.ItemId } equals new { q.ProjectId, q.SessionId, q.ItemId } into queries
            from query in queries.DefaultIfEmpty()
            join s in db.QuerySessions on new { lease.ProjectId, SessionId = lease.SessionId ?? -1 } equals new { s.ProjectId, s.SessionId } into sessions
            from session in sessions.DefaultIfEmpty()
            select new
            {
                item.Id,
                item.ExternalId,
                item.Payload,
                lease.ExpiresAt,
                lease.SessionId,
                Rank = (int?)query.Rank,
                Score = (double?)query.Score,
                session.Strategy,
                ModelVersion = (int?)session.ModelVersion,
            }).AsNoTracking().SingleAsync(cancellationToken);

        using var payload = JsonDocument.Parse(served.Payload);
        return Results.Ok(new NextItemResponse(
            served.Id,
            served.ExternalId,
            payload.RootElement.Clone(),
            served.ExpiresAt,
            served.SessionId is { } sessionId ? new QueryReason(sessionId, served.Strategy, served.Rank, served.Score, served.ModelVersion) : null));
    }

    private static async Task<IResult> ReleaseAsync(Guid projectId, long itemId, HttpContext http, PlatformDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        var annotator = http.User.UserId();
        var released = await db.ItemLeases.Where(l => l.ProjectId == projectId && l.ItemId == itemId && l.Annotator == annotator).ExecuteDeleteAsync(cancellationToken);
        return released == 1 ? Results.NoContent() : Results.Problem($"You hold no lease on item {itemId}.", statusCode: StatusCodes.Status404NotFound);
    }
}

/// <summary>An item served to an annotator, and why it was chosen.</summary>
internal sealed record NextItemResponse(long ItemId, string ExternalId, JsonElement Payload, DateTimeOffset LeaseExpiresAt, QueryReason? Query);

/// <summary>The query session entry that ranked the item; null when served before the first model.</summary>
internal sealed record QueryReason(int SessionId, string? Strategy, int? Rank, double? Score, int? ModelVersion);
