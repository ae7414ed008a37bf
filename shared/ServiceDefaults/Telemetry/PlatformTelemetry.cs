using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ActiveLabel.ServiceDefaults.Telemetry;

/// <summary>The platform's own activity source and meter, and the OpenTelemetry pipeline every service runs.</summary>
public static class PlatformTelemetry
{
    /// <summary>Name of the platform's <see cref="ActivitySource"/> and <see cref="Meter"/>.</summary>
    public const string SourceName = "ActiveLabel";

    /// <summary>Spans the platform's own code starts (outbox relay, training, scoring).</summary>
    public static readonly ActivitySource ActivitySource = new(SourceName);

    /// <summary>Metrics the platform's own code records.</summary>
    public static readonly Meter Meter = new(SourceName);

    // Sources the stack already emits; the OpenTelemetry.Instrumentation.* and hosting packages do not restore here,
    // so the providers are built by hand and subscribe to these directly.
    private static readonly string[] TraceSources = [SourceName, "MassTransit", "Npgsql", "Microsoft.AspNetCore", "System.Net.Http"];
    private static readonly string[] MeterNames =
        [SourceName, "MassTransit", "Npgsql", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "System.Runtime"];

    internal static IServiceCollection AddPlatformTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        // The standard OTLP variable; without it nothing is exported (the providers still sample, so traces stay
        // consistent for anything reading Activity.Current, e.g. the outbox's trace parent).
        var endpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var resource = ResourceBuilder.CreateDefault().AddService(serviceName, serviceInstanceId: Environment.MachineName + "-" + Environment.ProcessId);

        services.AddSingleton(_ =>
        {
            var tracing = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(TraceSources);
            if (!string.IsNullOrWhiteSpace(endpoint))
            {
                tracing.AddOtlpExporter(o => o.Endpoint = new Uri(endpoint));
            }

            return tracing.Build();
        });
        services.AddSingleton(_ =>
        {
            var metrics = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(MeterNames);
            if (!string.IsNullOrWhiteSpace(endpoint))
            {
                metrics.AddOtlpExporter(o => o.Endpoint = new Uri(endpoint));
            }

            return metrics.Build();
        });
        services.AddHostedService<TelemetryStarter>();
        return services;
    }

    /// <summary>Builds the providers when the host starts; the container disposes (and flushes) them at shutdown.</summary>
    private sealed class TelemetryStarter(TracerProvider tracerProvider, MeterProvider meterProvider) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(tracerProvider);
            GC.KeepAlive(meterProvider);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
