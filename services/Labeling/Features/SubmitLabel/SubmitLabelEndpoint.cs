using ActiveLabel.Contracts;
using ActiveLabel.Labeling.Features.RateLimiting;
using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Entities;
using ActiveLabel.ServiceDefaults.Messaging;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActiveLabel.Labeling.Features.SubmitLabel;

/// <summary>
/// Stores an annotator's label and, in the same transaction, the <see cref="LabelAdded"/> event (outbox). Why the
/// item was asked (session, strategy, score, rank, model version) is copied from the annotator's lease on it.
/// </summary>
internal static class SubmitLabelEndpoint
{
    public static IEndpointRouteBuilder MapSubmitLabel(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/projects/{projectId:guid}/items/{itemId:long}/labels", SubmitAsync).RequireAuthorization(Policies.Annotate).RequireRateLimiting(RateLimits.PerUser);
        return app;
    }

    private static async Task<IResult> SubmitAsync(
        Guid projectId, long itemId, SubmitLabelRequest request, HttpContext http, PlatformDbContext db, OutboxSignal outbox, ILogger<SubmitLabelRequest> logger,
        CancellationToken cancellationToken)
    {
        if (Validate(request) is { Count: > 0 } errors)
        {
            return Results.ValidationProblem(errors, title: "The label is invalid.");
        }

        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        var annotator = http.User.UserId();
        if (await FindByRequestIdAsync(db, projectId, request.RequestId!.Value, cancellationToken) is { } replay)
        {
            return Results.Ok(replay);
        }

        if (await Problems.LabelOutsideSetAsync(db, projectId, request.Label!, cancellationToken) is { } outside)
        {
            return outside;
        }

        if (!await db.Items.AnyAsync(i => i.Id == itemId && i.ProjectId == projectId, cancellationToken))
        {
            return Results.Problem($"Project {projectId} has no item {itemId}.", statusCode: StatusCodes.Status404NotFound);
        }

        if (await db.ItemLeases.AsNoTracking().SingleOrDefaultAsync(l => l.ItemId == itemId, cancellationToken) is { } held
            && held.Annotator != annotator && held.ExpiresAt > DateTimeOffset.UtcNow)
        {
            return Results.Problem(
                $"Item {itemId} is currently assigned to another annotator (your lease on it expired or you never held one). Ask for the next item instead.",
                statusCode: StatusCodes.Status409Conflict);
        }

        var label = new Label
        {
            ProjectId = projectId,
            ItemId = itemId,
            Annotator = annotator,
            Value = request.Label!,
            RequestId = request.RequestId.Value,
            TimeSpentMs = request.TimeSpentMs,
            Comment = string.IsNullOrWhiteSpace(request.Comment) ? null : request.Comment,
            CreatedAt = DateTimeOffset.UtcNow,
        };

        try
        {
            await StoreAsync(db, label, cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique)
        {
            db.ChangeTracker.Clear();
            if (await FindByRequestIdAsync(db, projectId, label.RequestId, cancellationToken) is { } concurrentReplay)
            {
                return Results.Ok(concurrentReplay);
            }

            logger.LogInformation("Refused second label of item {ItemId} by {Annotator} ({Constraint})", itemId, annotator, unique.ConstraintName);
            return Results.Problem($"You already labeled item {itemId}; change that label instead.", statusCode: StatusCodes.Status409Conflict);
        }

        outbox.Notify();
        logger.LogInformation("Label {LabelId} on item {ItemId} of project {ProjectId} by {Annotator}", label.Id, itemId, projectId, annotator);
        return Results.Created($"/api/projects/{projectId}/labels/{label.Id}", ToResponse(label));
    }

    private static async Task StoreAsync(PlatformDbContext db, Label label, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var lease = await db.ItemLeases.SingleOrDefaultAsync(l => l.ItemId == label.ItemId && l.Annotator == label.Annotator, cancellationToken);
        if (lease is { SessionId: { } sessionId })
        {
            await CopyQueryContextAsync(db, label, sessionId, cancellationToken);
        }

        db.Labels.Add(label);
        await db.SaveChangesAsync(cancellationToken);

        await db.Items.Where(i => i.Id == label.ItemId).ExecuteUpdateAsync(s => s.SetProperty(i => i.IsLabeled, true), cancellationToken);
        if (lease is not null)
        {
            db.ItemLeases.Remove(lease);
        }

        db.AddOutboxMessage(new LabelAdded(
            label.ProjectId, label.Id, label.ItemId, label.Value, label.Annotator, label.QuerySessionId, SchemaVersions.Current, label.CreatedAt));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task CopyQueryContextAsync(PlatformDbContext db, Label label, int sessionId, CancellationToken cancellationToken)
    {
        var context = await (
            from session in db.QuerySessions
            where session.ProjectId == label.ProjectId && session.SessionId == sessionId
            join query in db.Queries.Where(q => q.ItemId == label.ItemId) on new { session.ProjectId, session.SessionId } equals new { query.ProjectId, query.SessionId } into queries
            from query in queries.DefaultIfEmpty()
            select new { session.Strategy, session.ModelVersion, Score = (double?)query.Score, Rank = (int?)query.Rank })
            .SingleOrDefaultAsync(cancellationToken);
        label.QuerySessionId = sessionId;
        label.QueryStrategy = context?.Strategy;
        label.ModelVersion = context?.ModelVersion;
        label.QueryScore = context?.Score;
        label.QueryRank = context?.Rank;
    }

    private static async Task<LabelResponse?> FindByRequestIdAsync(PlatformDbContext db, Guid projectId, Guid requestId, CancellationToken cancellationToken)
    {
        var label = await db.Labels.AsNoTracking().SingleOrDefaultAsync(l => l.ProjectId == projectId && l.RequestId == requestId, cancellationToken);
        return label is null ? null : ToResponse(label);
    }

    private static Dictionary<string, string[]> Validate(SubmitLabelRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.RequestId is null || request.RequestId == Guid.Empty)
        {
            errors["requestId"] = ["Send a requestId (a new UUID per label, reused on retries) so a retry is never counted twice."];
        }

        if (string.IsNullOrEmpty(request.Label))
        {
            errors["label"] = ["label is required."];
        }

        if (request.TimeSpentMs is < 0 or > 86_400_000)
        {
            errors["timeSpentMs"] = ["timeSpentMs must be between 0 and 86,400,000 (one day)."];
        }

        if (request.Comment is { Length: > 2000 })
        {
            errors["comment"] = ["A comment is at most 2,000 characters."];
        }

        return errors;
    }

    private static LabelResponse ToResponse(Label l) => new(
        l.Id, l.ItemId, l.Value, l.Annotator, l.QuerySessionId, l.QueryStrategy, l.QueryScore, l.QueryRank, l.ModelVersion, l.TimeSpentMs, l.Comment, l.CreatedAt);
}
