using ActiveLabel.Labeling.Features.RateLimiting;
using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Entities;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Labeling.Features.ChangeLabel;

/// <summary>
/// <c>PUT /api/projects/{projectId}/labels/{labelId}</c>: correct a label or its comment. Annotators change their own
/// labels, admins any. The next model trains on the corrected value; a correction is not a new label, so it does not
/// count towards the retrain trigger.
/// </summary>
internal static class ChangeLabelEndpoint
{
    public static IEndpointRouteBuilder MapChangeLabel(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api/projects/{projectId:guid}/labels/{labelId:long}", ChangeAsync).RequireAuthorization(Policies.Annotate).RequireRateLimiting(RateLimits.PerUser);
        return app;
    }

    private static async Task<IResult> ChangeAsync(
        Guid projectId, long labelId, ChangeLabelRequest request, HttpContext http, PlatformDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        var label = await db.Labels.SingleOrDefaultAsync(l => l.Id == labelId && l.ProjectId == projectId, cancellationToken);
        if (label is null || (label.Annotator != http.User.UserId() && !http.User.IsInRole(nameof(UserRole.Admin))))
        {
            return Results.Problem($"Project {projectId} has no label {labelId} of yours.", statusCode: StatusCodes.Status404NotFound);
        }

        if (request.Label is null && request.Comment is null)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["label"] = ["Send a new label, a comment, or both."] });
        }

        if (request.Label is not null)
        {
            if (await Problems.LabelOutsideSetAsync(db, projectId, request.Label, cancellationToken) is { } outside)
            {
                return outside;
            }

            label.Value = request.Label;
        }

        if (request.Comment is { Length: > 2000 })
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["comment"] = ["A comment is at most 2,000 characters."] });
        }

        if (request.Comment is not null)
        {
            label.Comment = request.Comment.Length == 0 ? null : request.Comment;
        }

        label.UpdatedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(cancellationToken);
        return Results.Ok(new { label.Id, label.ItemId, Label = label.Value, label.Annotator, label.Comment, label.UpdatedAt });
    }
}

/// <summary>Body of the change: a new label, a new comment (empty string clears it), or both.</summary>
internal sealed record ChangeLabelRequest(string? Label, string? Comment);
