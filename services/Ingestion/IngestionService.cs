using ActiveLabel.Ingestion.Features.Accounts;
using ActiveLabel.Ingestion.Features.Projects;
using ActiveLabel.Ingestion.Features.SubmitItems;
using ActiveLabel.Ingestion.Features.UploadItems;
using ActiveLabel.ServiceDefaults.Messaging;

namespace ActiveLabel.Ingestion;

internal static class IngestionService
{
    public static WebApplicationBuilder AddIngestion(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.AddOptions<UploadOptions>().BindConfiguration(UploadOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.AddPlatformBus(bus => bus.AddConsumer<SubmitItemsConsumer>(typeof(SubmitItemsConsumerDefinition)));
        return builder;
    }

    public static WebApplication MapIngestion(this WebApplication app)
    {
        app.MapProjectEndpoints();
        app.MapAccountEndpoints();
        app.MapUploadItemsEndpoint();
        return app;
    }
}
