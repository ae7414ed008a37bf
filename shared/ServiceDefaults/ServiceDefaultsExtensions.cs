using ActiveLabel.Persistence;
using ActiveLabel.ServiceDefaults.Health;
using ActiveLabel.ServiceDefaults.Security;
using ActiveLabel.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActiveLabel.ServiceDefaults;

/// <summary>The wiring every platform service shares.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// Structured JSON logs, OpenTelemetry, the platform database, health checks, token authentication and a
    /// graceful-shutdown window. Call first in every service's <c>Program.cs</c>.
    /// </summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(options =>
        {
            options.IncludeScopes = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            options.UseUtcTimestamp = true;
        });

        // Long enough for in-flight requests and consumers to finish after SIGTERM (Kubernetes waits 30 s by default).
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(25));

        builder.Services.AddPlatformTelemetry(builder.Configuration, serviceName);
        builder.Services.AddPlatformDatabase(builder.Configuration);
        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: [HealthEndpoints.ReadyTag]);
        builder.Services.AddPlatformAuthentication();
        return builder;
    }

    /// <summary>Maps <c>/health/live</c> and <c>/health/ready</c> and turns authentication on for everything else.</summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        app.UseHttpServerSpanNames();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapHealthEndpoints();
        return app;
    }
}
