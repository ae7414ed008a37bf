using ActiveLabel.Ingestion.Features.Projects;
using ActiveLabel.ServiceDefaults.Messaging;

namespace ActiveLabel.Ingestion;

internal static class IngestionService
{
    public static WebApplicationBuilder AddIngestion(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.AddPlatformBus();
        return builder;
    }

    public static WebApplication MapIngestion(this WebApplication app)
    {
        app.MapProjectEndpoints();
        return app;
    }
}
