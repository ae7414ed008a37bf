using ActiveLabel.Scoring;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace ActiveLabel.QuerySampler.Features.Scoring;

/// <summary>The gRPC Scorer (shared/Scoring/scorer.proto), served on the HTTP/2-only Kestrel endpoint <c>Grpc</c>.</summary>
internal static class ScorerEndpoints
{
    private const string Service = "activelabel.scoring.v1.Scorer";

    public static WebApplicationBuilder AddScorer(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ScorerOptions>().BindConfiguration(ScorerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ModelCache>();
        builder.Services.AddScoped<PredictHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, GrpcAuthorizationResultHandler>();
        return builder;
    }

    public static WebApplication MapScorer(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<ScorerOptions>>().Value;
        app.MapGrpcUnary(ScorerClient.PredictPath, PredictRequest.Parser, options.MaxMessageBytes,
                (context, request, cancellationToken) => context.RequestServices.GetRequiredService<PredictHandler>().PredictAsync(context.User, request, cancellationToken))
            .RequireAuthorization(Policies.Annotate);
        app.MapGrpcUnimplemented(Service).RequireAuthorization(Policies.Annotate);
        return app;
    }
}
