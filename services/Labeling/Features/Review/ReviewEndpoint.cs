using System.Text.Json;
using ActiveLabel.Labeling.Features.ModelGuess;
using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Entities;
using ActiveLabel.Scoring;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ActiveLabel.Labeling.Features.Review;

/// <summary>
/// <c>GET /api/projects/{projectId}/labels</c>: earlier labels, newest first, for review and correction (with
/// <c>PUT /api/projects/{projectId}/labels/{labelId}</c>). Filters: <c>label</c>, <c>annotator</c>, <c>session</c>,
/// <c>disagreement=true</c> (the current model guesses another label). Paged by a cursor (<c>before</c> = the last
/// label id seen), which stays stable while annotators keep adding labels. Each label carries the current model's
/// guess when there is a model.
/// </summary>
internal static class ReviewEndpoint
{
    private const int MaxPageSize = 100;

    /// <summary>With the disagreement filter, how many labels one request may score before it answers a short page.</summary>
    private const int MaxScanned = 2_000;

    public static IEndpointRouteBuilder MapReview(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/projects/{projectId:guid}/labels", ListAsync).RequireAuthorization(Policies.Annotate);
        return app;
    }

    private static async Task<IResult> ListAsync(
        Guid projectId, HttpContext http, PlatformDbContext db, ScorerClient scorer, IOptions<ScorerClientOptions> scorerOptions, CancellationToken cancellationToken,
        string? label = null, string? annotator = null, int? session = null, bool disagreement = false, long? before = null, int pageSize = 50)
    {
        if (pageSize is < 1 or > MaxPageSize)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["pageSize"] = [$"pageSize must be between 1 and {MaxPageSize}."] });
        }

        if (before is < 1)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["before"] = ["before is a label id from the previous page's nextBefore."] });
        }

        if (session is < 1)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["session"] = ["session is a query session id (1 or more)."] });
        }

        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        var query = db.Labels.AsNoTracking().Where(l => l.ProjectId == projectId);
        query = label is null ? query : query.Where(l => l.Value == label);
        query = annotator is null ? query : query.Where(l => l.Annotator == annotator);
        query = session is null ? query : query.Where(l => l.QuerySessionId == session);

        var token = SessionCookie.PresentedToken(http.Request)!;
        var page = new List<ReviewedLabel>(pageSize);
        long? nextBefore = null;
        var cursor = before;
        var scanned = 0;
        var full = false;
        while (!full)
        {
            // One extra row tells whether there is a next page; the disagreement filter scans in larger chunks.
            var take = disagreement ? 200 : pageSize + 1;
            var chunk = await (cursor is { } c ? query.Where(l => l.Id < c) : query)
                .OrderByDescending(l => l.Id).Take(take)
                .Join(db.Items, l => l.ItemId, i => i.Id, (l, i) => new { Label = l, i.ExternalId, i.Payload })
                .ToListAsync(cancellationToken);
            scanned += chunk.Count;
            var guesses = await GuessAsync(scorer, scorerOptions.Value, projectId, [.. chunk.Select(r => r.Label.ItemId)], token, cancellationToken);
            foreach (var row in chunk)
            {
                if (page.Count == pageSize)
                {
                    nextBefore = page[^1].Id;
                    full = true;
                    break;
                }

                cursor = row.Label.Id;
                var guess = guesses?.GetValueOrDefault(row.Label.ItemId);
                if (disagreement && (guess is null || guess.Label == row.Label.Value))
                {
                    continue;
                }

                using var payload = JsonDocument.Parse(row.Payload);
                page.Add(ToView(row.Label, row.ExternalId, payload.RootElement.Clone(), guess));
            }

            if (!full && chunk.Count < take)
            {
                break;
            }

            if (!full && scanned >= MaxScanned)
            {
                // A short page: the client continues the scan from here.
                nextBefore = cursor;
                break;
            }
        }

        return Results.Ok(new ReviewPage(page, nextBefore));
    }

    private static async Task<Dictionary<long, Guess>?> GuessAsync(
        ScorerClient scorer, ScorerClientOptions options, Guid projectId, long[] itemIds, string token, CancellationToken cancellationToken)
    {
        if (itemIds.Length == 0)
        {
            return [];
        }

        try
        {
            var response = await scorer.PredictAsync(new PredictRequest { ProjectId = projectId.ToString(), ItemIds = { itemIds } }, token, options.Deadline, cancellationToken);
            return response.Predictions.ToDictionary(p => p.ItemId, p => new Guess(response.ModelVersion, p.PredictedLabel, p.Confidence));
        }
        catch (GrpcException)
        {
            // No model yet, or the Scorer is unavailable: the review still lists labels, just without guesses.
            return null;
        }
    }

    private static ReviewedLabel ToView(Label l, string externalId, JsonElement payload, Guess? guess) =>
        new(l.Id, l.ItemId, externalId, payload, l.Value, l.Annotator, l.QuerySessionId, l.Comment, l.CreatedAt, l.UpdatedAt, guess);
}

internal sealed record ReviewPage(IReadOnlyList<ReviewedLabel> Labels, long? NextBefore);

internal sealed record ReviewedLabel(
    long Id, long ItemId, string ExternalId, JsonElement Payload, string Label, string Annotator, int? Session, string? Comment,
    DateTimeOffset CreatedAt, DateTimeOffset? UpdatedAt, Guess? ModelGuess);

internal sealed record Guess(int ModelVersion, string Label, double Confidence);
