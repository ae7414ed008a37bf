using ActiveLabel.Labeling.Features.SubmitLabel;
using ActiveLabel.ServiceDefaults.Messaging;

namespace ActiveLabel.Labeling;

internal static class LabelingService
{
    public static WebApplicationBuilder AddLabeling(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.AddPlatformBus();
        return builder;
    }

    public static WebApplication MapLabeling(this WebApplication app)
    {
        app.MapSubmitLabel();
        return app;
    }
}
