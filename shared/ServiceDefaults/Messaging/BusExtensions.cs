using ActiveLabel.ServiceDefaults.Health;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ActiveLabel.ServiceDefaults.Messaging;

/// <summary>MassTransit on RabbitMQ, wired the same way in every service.</summary>
public static class BusExtensions
{
    /// <summary>
    /// Adds the bus (durable queues, publisher confirms, kebab-case endpoint names, the <c>masstransit-bus</c>
    /// readiness check) and the outbox relay. <paramref name="configure"/> registers the service's consumers.
    /// </summary>
    public static WebApplicationBuilder AddPlatformBus(this WebApplicationBuilder builder, Action<IBusRegistrationConfigurator>? configure = null)
    {
        builder.Services.AddOptions<RabbitMqOptions>().BindConfiguration(RabbitMqOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            // MassTransit otherwise reports usage to its vendor over the internet; a platform's data stays home.
            bus.DisableUsageTelemetry();
            configure?.Invoke(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                var options = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                rabbit.Host(options.Host, options.Port, options.VirtualHost, host =>
                {
                    host.Username(options.Username!);
                    host.Password(options.Password!);
                    host.PublisherConfirmation = true;
                });
                rabbit.ConfigureEndpoints(context);
            });
        });
        builder.Services.AddSingleton<RabbitMqHealthCheck>();
        builder.Services.AddHealthChecks().AddCheck<RabbitMqHealthCheck>("rabbitmq", tags: [HealthEndpoints.ReadyTag]);
        builder.Services.AddOutbox();
        return builder;
    }
}
