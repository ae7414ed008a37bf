using ActiveLabel.Scoring;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace ActiveLabel.QuerySampler.Features.Scoring;

/// <summary>
/// gRPC calls are authenticated by the same ApiToken scheme and policies as HTTP; only the answer differs: a failed
/// challenge is UNAUTHENTICATED and a forbidden role PERMISSION_DENIED, in gRPC's trailers, instead of 401/403.
/// </summary>
internal sealed class GrpcAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _http = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded || context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is null)
        {
            await _http.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        if (authorizeResult.Forbidden)
        {
            await GrpcUnaryEndpoint.WriteStatusAsync(context, GrpcStatusCode.PermissionDenied,
                "The token's role may not call the Scorer: it needs the annotator or admin role.");
            return;
        }

        // The handler caches its result per request, so this re-reads why authentication failed without a second lookup.
        var failure = (await context.AuthenticateAsync()).Failure;
        await GrpcUnaryEndpoint.WriteStatusAsync(context, GrpcStatusCode.Unauthenticated, failure is null
            ? "No credentials: send the metadata 'authorization: Bearer <token>' with an API token."
            : failure.Message + " Send the metadata 'authorization: Bearer <token>' with a valid API token.");
    }
}
