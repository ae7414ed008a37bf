using ActiveLabel.Labeling.Features.ChangeLabel;
using ActiveLabel.Labeling.Features.Dashboard;
using ActiveLabel.Labeling.Features.Export;
using ActiveLabel.Labeling.Features.ModelGuess;
using ActiveLabel.Labeling.Features.NextItem;
using ActiveLabel.Labeling.Features.Projects;
using ActiveLabel.Labeling.Features.RateLimiting;
using ActiveLabel.Labeling.Features.Review;
using ActiveLabel.Labeling.Features.Session;
using ActiveLabel.Labeling.Features.Skip;
using ActiveLabel.Labeling.Features.Status;
using ActiveLabel.Labeling.Features.SubmitLabel;
using ActiveLabel.Labeling.Features.WebApp;
using ActiveLabel.ServiceDefaults.Messaging;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ActiveLabel.Labeling;

internal static class LabelingService
{
    public static WebApplicationBuilder AddLabeling(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.AddPlatformBus();
        builder.Services.AddOptions<LeaseOptions>().BindConfiguration(LeaseOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ItemLeaser>();
        builder.Services.AddSingleton<CandidateQueue>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddModelGuess();
        builder.AddRateLimits();
        builder.AddDashboard();
        builder.Services.AddTransient<IStartupFilter, WebAppStaticFiles>();
        return builder;
    }

    public static WebApplication MapLabeling(this WebApplication app)
    {
        // After authentication (UseServiceDefaults), so the per-user limits see the user.
        app.UseRateLimits();
        app.MapNextItem();
        app.MapSubmitLabel();
        app.MapSkip();
        app.MapChangeLabel();
        app.MapExport();
        app.MapStatus();
        app.MapModelGuess();
        app.MapDashboard();
        app.MapBaseline();
        app.MapSession();
        app.MapProjectReads();
        app.MapReview();
        return app;
    }
}
