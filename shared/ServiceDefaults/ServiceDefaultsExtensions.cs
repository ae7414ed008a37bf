using ActiveLabel.Persistence;
using ActiveLabel.ServiceDefaults.Errors;
using ActiveLabel.ServiceDefaults.Health;
using ActiveLabel.ServiceDefaults.Http;
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
    /// <param name="builder">The service's builder.</param>
    /// <param name="serviceName">The service name in logs, traces and metrics.</param>
    /// <param name="keepsNoSessionState">See <see cref="PersistenceServiceCollectionExtensions.AddPlatformDatabase"/>.</param>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string serviceName, bool keepsNoSessionState = false)
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
        builder.Services.AddPlatformDatabase(builder.Configuration, keepsNoSessionState);
        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: [HealthEndpoints.ReadyTag]);
        builder.Services.AddPlatformAuthentication();
        builder.Services.AddBadRequestProblems();
        builder.Services.AddExceptionHandler<UnavailableExceptionHandler>();
        return builder;
    }

    /// <summary>
    /// Maps <c>/health/live</c> and <c>/health/ready</c>, turns authentication on for everything else, and answers
    /// failures with problem details (503 and Retry-After while the database is unreachable).
    /// </summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        // First: token checks read the database too, and their failures are as transient as the endpoints'.
        app.UseBadRequestProblems();
        app.UseHttpServerSpanNames();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapHealthEndpoints();
        return app;
    }
}
