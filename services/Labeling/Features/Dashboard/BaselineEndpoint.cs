using System.Text.Json;
using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Entities;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Labeling.Features.Dashboard;

/// <summary>
/// <c>PUT /api/projects/{projectId}/baseline</c> (admins): stores the random baseline's learning curve that
/// <c>alp simulate</c> measured (<c>alp project baseline</c> sends it), replacing an earlier one; the dashboard draws it.
/// </summary>
internal static class BaselineEndpoint
{
    public const int MaxPoints = 10_000;
    public const int MaxSourceLength = 500;

    public static IEndpointRouteBuilder MapBaseline(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api/projects/{projectId:guid}/baseline", PutAsync).RequireAuthorization(Policies.Admin);
        return app;
    }

    private static async Task<IResult> PutAsync(Guid projectId, BaselineRequest? request, HttpContext http, PlatformDbContext db, ILogger<BaselineRequest> logger, CancellationToken cancellationToken)
    {
        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        if (Validate(request) is { } errors)
        {
            return Results.ValidationProblem(errors, title: "The baseline is invalid.");
        }

        var points = JsonSerializer.Serialize(request!.Points, JsonSerializerOptions.Web);
        var existing = await db.SimulationBaselines.SingleOrDefaultAsync(b => b.ProjectId == projectId, cancellationToken);
        if (existing is null)
        {
            db.SimulationBaselines.Add(new SimulationBaseline { ProjectId = projectId, Source = request.Source!, Points = points, CreatedAt = DateTimeOffset.UtcNow });
        }
        else
        {
            (existing.Source, existing.Points, existing.CreatedAt) = (request.Source!, points, DateTimeOffset.UtcNow);
        }

        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Stored the baseline of {ProjectId}: {Points} points from {Source}", projectId, request.Points!.Count, request.Source);
        return Results.Ok(new { projectId, source = request.Source, points = request.Points.Count });
    }

    private static Dictionary<string, string[]>? Validate(BaselineRequest? request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request is null)
        {
            return new() { ["body"] = ["Send {source, points:[{labels, accuracy, macroF1, auc}]}."] };
        }

        if (string.IsNullOrWhiteSpace(request.Source) || request.Source.Length > MaxSourceLength)
        {
            errors["source"] = [$"Required, at most {MaxSourceLength} characters."];
        }

        if (request.Points is not { Count: > 0 and <= MaxPoints } points)
        {
            errors["points"] = [$"Between 1 and {MaxPoints} points."];
            return errors;
        }

        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            if (p is null || p.Labels < 1 || (i > 0 && points[i - 1] is { } before && p.Labels <= before.Labels))
            {
                errors[$"points[{i}].labels"] = ["Label counts must be positive and increase from point to point."];
            }
            else if (!InUnitRange(p.Accuracy) || !InUnitRange(p.MacroF1) || !InUnitRange(p.Auc))
            {
                errors[$"points[{i}]"] = ["accuracy, macroF1 and auc are between 0 and 1 (or null)."];
            }

            if (errors.Count >= 10)
            {
                break;
            }
        }

        return errors.Count == 0 ? null : errors;
    }

    private static bool InUnitRange(double? value) => value is null || (double.IsFinite(value.Value) && value >= 0 && value <= 1);
}

/// <summary>The baseline curve: where it came from, and one point per label count.</summary>
internal sealed record BaselineRequest(string? Source, IReadOnlyList<BaselinePoint?>? Points);

internal sealed record BaselinePoint(int Labels, double? Accuracy, double? MacroF1, double? Auc);
