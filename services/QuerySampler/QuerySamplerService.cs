using ActiveLabel.ServiceDefaults.Messaging;

namespace ActiveLabel.QuerySampler;

internal static class QuerySamplerService
{
    public static WebApplicationBuilder AddQuerySampler(this WebApplicationBuilder builder)
    {
        builder.AddPlatformBus();
        return builder;
    }

    public static WebApplication MapQuerySampler(this WebApplication app) => app;
}
