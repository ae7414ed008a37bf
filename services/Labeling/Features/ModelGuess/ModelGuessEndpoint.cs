using ActiveLabel.Persistence;
using ActiveLabel.Scoring;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace ActiveLabel.Labeling.Features.ModelGuess;

/// <summary>
/// <c>GET /api/projects/{projectId}/items/{itemId}/guess</c>: the current model's guess for an item, asked of the
/// QuerySampler's gRPC Scorer with the caller's own token, so the Scorer checks the same identity and membership.
/// </summary>
internal static class ModelGuessEndpoint
{
    public static WebApplicationBuilder AddModelGuess(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ScorerClientOptions>().BindConfiguration(ScorerClientOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpClient<ScorerClient>((services, http) =>
            http.BaseAddress = services.GetRequiredService<IOptions<ScorerClientOptions>>().Value.Address);
        return builder;
    }

    public static IEndpointRouteBuilder MapModelGuess(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/projects/{projectId:guid}/items/{itemId:long}/guess", GuessAsync).RequireAuthorization(Policies.Annotate);
        return app;
    }

    private static async Task<IResult> GuessAsync(
        Guid projectId, long itemId, HttpContext http, PlatformDbContext db, ScorerClient scorer, IOptions<ScorerClientOptions> options,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(ModelGuessEndpoint));
        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        // Authentication accepted this token (Bearer header or the web app's session cookie).
        var token = SessionCookie.PresentedToken(http.Request) ?? throw new InvalidOperationException("An authenticated request carries a token.");
        var request = new PredictRequest { ProjectId = projectId.ToString(), ItemIds = { itemId } };
        try
        {
            var response = await scorer.PredictAsync(request, token, options.Value.Deadline, cancellationToken);
            var prediction = response.Predictions[0];
            var probabilities = response.Classes.Zip(prediction.Probabilities).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
            return Results.Ok(new ModelGuessResponse(response.ModelVersion, prediction.PredictedLabel, prediction.Confidence, probabilities));
        }
        catch (GrpcException e) when (e.StatusCode == GrpcStatusCode.FailedPrecondition)
        {
            return Results.Problem($"No model yet: project {projectId} has no trained model to guess with.", statusCode: StatusCodes.Status404NotFound);
        }
        catch (GrpcException e) when (e.StatusCode == GrpcStatusCode.NotFound)
        {
            return Results.Problem($"Project {projectId} has no item {itemId}.", statusCode: StatusCodes.Status404NotFound);
        }
        catch (GrpcException e) when (e.StatusCode is GrpcStatusCode.DeadlineExceeded or GrpcStatusCode.Unavailable)
        {
            logger.LogWarning("No guess for item {ItemId} of {ProjectId}: the Scorer answered {Status}: {StatusMessage}", itemId, projectId, e.StatusCode, e.Message);
            return Results.Problem("The model's guess is unavailable right now; label the item without it.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (GrpcException e)
        {
            logger.LogError(e, "No guess for item {ItemId} of {ProjectId}: the Scorer answered {Status}", itemId, projectId, e.StatusCode);
            return Results.Problem("The Scorer failed to make a guess.", statusCode: StatusCodes.Status502BadGateway);
        }
    }
}

/// <summary>The model's guess: its version, the most probable label, its probability, and every label's probability.</summary>
internal sealed record ModelGuessResponse(int ModelVersion, string Label, double Confidence, Dictionary<string, double> Probabilities);
