using ActiveLabel.QuerySampler.Features.Sampling;
using ActiveLabel.QuerySampler.Features.Scoring;
using ActiveLabel.ServiceDefaults.Messaging;

namespace ActiveLabel.QuerySampler;

internal static class QuerySamplerService
{
    public static WebApplicationBuilder AddQuerySampler(this WebApplicationBuilder builder)
    {
        builder.AddPlatformBus(bus => bus.AddConsumer<ModelTrainedConsumer>(typeof(ModelTrainedConsumerDefinition)));
        builder.Services.AddOptions<PoolCacheOptions>().BindConfiguration(PoolCacheOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<PoolCache>();
        builder.Services.AddSingleton<SessionBuilder>();
        builder.Services.AddHostedService<PoolWarmer>();
        builder.AddScorer();
        return builder;
    }

    public static WebApplication MapQuerySampler(this WebApplication app) => app.MapScorer();
}
