using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using ActiveLabel.Labeling.Features.RateLimiting;
using ActiveLabel.Persistence;
using ActiveLabel.ServiceDefaults.Security;
using ActiveLabel.ServiceDefaults.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ActiveLabel.Labeling.Features.NextItem;

/// <summary><c>POST /api/projects/{projectId}/next</c>: lease the next most informative item to the caller.</summary>
internal static class NextItemEndpoint
{
    /// <summary>
    /// <c>alp.lease.wait</c> (ms, tag <c>alp.lease.outcome</c> = leased | none): time get-next spends finding, leasing
    /// and reading the next item, lock waits and lost races included.
    /// </summary>
    private static readonly Histogram<double> LeaseWait = PlatformTelemetry.Meter.CreateHistogram<double>(
        "alp.lease.wait", "ms", "Time to lease the next item in get-next (outcome: leased or none left).");

    public static IEndpointRouteBuilder MapNextItem(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/projects/{projectId:guid}/next", NextAsync).RequireAuthorization(Policies.Annotate).RequireRateLimiting(RateLimits.PerUser);
        app.MapDelete("/api/projects/{projectId:guid}/items/{itemId:long}/lease", ReleaseAsync).RequireAuthorization(Policies.Annotate);
        return app;
    }

    private static async Task<IResult> NextAsync(Guid projectId, HttpContext http, ItemLeaser leaser, IOptions<LeaseOptions> options, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var (outcome, served) = await leaser.LeaseNextAsync(projectId, http.User, options.Value, cancellationToken);
        if (outcome == LeaseOutcome.NoAccess)
        {
            return ProjectAccess.NotFound(projectId);
        }

        LeaseWait.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("alp.lease.outcome", served is null ? "none" : "leased"));

        if (served is null)
        {
            return Results.NoContent();
        }

        using var payload = JsonDocument.Parse(served.Payload);
        return Results.Ok(new NextItemResponse(
            served.ItemId,
            served.ExternalId,
            payload.RootElement.Clone(),
            served.ExpiresAt,
            served.SessionId is { } sessionId ? new QueryReason(sessionId, served.Strategy, served.Rank, served.Score, served.ModelVersion) : null));
    }

    private static async Task<IResult> ReleaseAsync(Guid projectId, long itemId, HttpContext http, PlatformDbContext db, CandidateQueue candidates, CancellationToken cancellationToken)
    {
        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        var annotator = http.User.UserId();
        var released = await db.ItemLeases.Where(l => l.ProjectId == projectId && l.ItemId == itemId && l.Annotator == annotator).ExecuteDeleteAsync(cancellationToken);
        if (released != 1)
        {
            return Results.Problem($"You hold no lease on item {itemId}.", statusCode: StatusCodes.Status404NotFound);
        }

        candidates.Invalidate(projectId);
        return Results.NoContent();
    }
}

/// <summary>An item served to an annotator, and why it was chosen.</summary>
internal sealed record NextItemResponse(long ItemId, string ExternalId, JsonElement Payload, DateTimeOffset LeaseExpiresAt, QueryReason? Query);

/// <summary>The query session entry that ranked the item; null when served before the first model.</summary>
internal sealed record QueryReason(int SessionId, string? Strategy, int? Rank, double? Score, int? ModelVersion);
