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
    private static readonly string[] PropagatedSources = [SourceName, "MassTransit", "Microsoft.AspNetCore"];
    private static readonly string[] MeterNames =
        [SourceName, "MassTransit", "Npgsql", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "System.Runtime"];

    internal static IServiceCollection AddPlatformTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        // The standard OTLP variable; without it nothing is exported (the providers still sample, so traces stay
        // consistent for anything reading Activity.Current, e.g. the outbox's trace parent).
        var endpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var resource = ResourceBuilder.CreateDefault().AddService(serviceName, serviceInstanceId: Environment.MachineName + "-" + Environment.ProcessId);

        // The SDK reads its OTEL_* settings (endpoint, OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_BSP_SCHEDULE_DELAY,
        // OTEL_METRIC_EXPORT_INTERVAL, ...) from its own IConfiguration, by default the environment only; giving it the
        // host's configuration makes appsettings work too. The endpoint is not set in code: a programmatic endpoint
        // turns off the per-signal path (/v1/traces, /v1/metrics) that http/protobuf needs.
        services.AddSingleton(_ =>
        {
            var tracing = Sdk.CreateTracerProviderBuilder().ConfigureServices(s => s.AddSingleton(configuration))
                .SetResourceBuilder(resource);
            if (!string.IsNullOrWhiteSpace(endpoint))
            {
                tracing.AddSource(TraceSources).AddOtlpExporter();
            }
            else
            {
                // Nothing leaves the process, so only the spans whose context travels on (HTTP requests, messages, the
                // platform's own) are made; a span per SQL statement cost the hot paths more than their statements.
                tracing.AddSource(PropagatedSources);
            }

            return tracing.Build();
        });
        services.AddSingleton(_ =>
        {
            var metrics = Sdk.CreateMeterProviderBuilder().ConfigureServices(s => s.AddSingleton(configuration))
                .SetResourceBuilder(resource).AddMeter(MeterNames);
            if (!string.IsNullOrWhiteSpace(endpoint))
            {
                metrics.AddOtlpExporter();
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
