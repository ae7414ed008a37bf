using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using ActiveLabel.IntegrationTests.Infrastructure;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace ActiveLabel.IntegrationTests.Telemetry;

/// <summary>
/// A minimal OTLP/HTTP collector in the test process: Kestrel on a free loopback port answering <c>POST /v1/traces</c>
/// and <c>POST /v1/metrics</c> (http/protobuf), keeping every span and metric point the services export.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private const string ProtobufContentType = "application/x-protobuf";
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentQueue<ReceivedPoint> _points = new();
    private readonly ConcurrentQueue<string> _errors = new();

    private OtlpReceiver(WebApplication app, Uri endpoint) => (_app, Endpoint) = (app, endpoint);

    /// <summary>The base address for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (the exporters add <c>/v1/traces</c>, <c>/v1/metrics</c>).</summary>
    public Uri Endpoint { get; }

    public IReadOnlyCollection<ReceivedSpan> Spans => _spans;

    public IReadOnlyCollection<ReceivedPoint> Points => _points;

    /// <summary>Exports that could not be read (answered 400), for a failing test to show.</summary>
    public IReadOnlyCollection<string> Errors => _errors;

    public static async Task<OtlpReceiver> StartAsync()
    {
        var port = ServiceProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        // The test's output folder holds a service's appsettings.json (with its Kestrel endpoint): read none of it.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var endpoint = new Uri($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new OtlpReceiver(app, endpoint);
        app.MapPost("/v1/traces", context => receiver.ReceiveAsync(context, ExportTraceServiceRequest.Parser, receiver.Add, new ExportTraceServiceResponse()));
        app.MapPost("/v1/metrics", context => receiver.ReceiveAsync(context, ExportMetricsServiceRequest.Parser, receiver.Add, new ExportMetricsServiceResponse()));
        app.MapFallback(context =>
        {
            receiver._errors.Enqueue($"{context.Request.Method} {context.Request.Path} ({context.Request.Protocol}, {context.Request.ContentType}): not an OTLP/HTTP path");
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync<TRequest>(HttpContext context, MessageParser<TRequest> parser, Action<TRequest> add, IMessage response)
        where TRequest : IMessage<TRequest>
    {
        TRequest request;
        try
        {
            request = parser.ParseFrom(await ReadBodyAsync(context.Request));
        }
        catch (InvalidProtocolBufferException ex)
        {
            _errors.Enqueue($"{context.Request.Path} ({context.Request.ContentType}): {ex.Message}");
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        add(request);
        context.Response.ContentType = ProtobufContentType;
        await context.Response.Body.WriteAsync(response.ToByteArray());
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        var body = request.Headers.ContentEncoding == "gzip" ? new GZipStream(request.Body, CompressionMode.Decompress) : request.Body;
        await body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private void Add(ExportTraceServiceRequest request)
    {
        foreach (var resource in request.ResourceSpans)
        {
            var service = ServiceName(resource.Resource?.Attributes);
            foreach (var scope in resource.ScopeSpans)
            {
                foreach (var span in scope.Spans)
                {
                    _spans.Enqueue(new ReceivedSpan(
                        service,
                        scope.Scope?.Name ?? "",
                        Convert.ToHexStringLower(span.TraceId.Span),
                        Convert.ToHexStringLower(span.SpanId.Span),
                        span.ParentSpanId.IsEmpty ? null : Convert.ToHexStringLower(span.ParentSpanId.Span),
                        span.Name,
                        span.Kind,
                        Attributes(span.Attributes),
                        span.StartTimeUnixNano,
                        span.EndTimeUnixNano));
                }
            }
        }
    }

    private void Add(ExportMetricsServiceRequest request)
    {
        foreach (var resource in request.ResourceMetrics)
        {
            var service = ServiceName(resource.Resource?.Attributes);
            foreach (var metric in resource.ScopeMetrics.SelectMany(s => s.Metrics))
            {
                switch (metric.DataCase)
                {
                    case Metric.DataOneofCase.Sum:
                        AddNumbers(service, metric.Name, MetricKind.Sum, metric.Sum.DataPoints);
                        break;
                    case Metric.DataOneofCase.Gauge:
                        AddNumbers(service, metric.Name, MetricKind.Gauge, metric.Gauge.DataPoints);
                        break;
                    case Metric.DataOneofCase.Histogram:
                        foreach (var point in metric.Histogram.DataPoints)
                        {
                            _points.Enqueue(new ReceivedPoint(
                                service, metric.Name, metric.Unit, MetricKind.Histogram, point.Sum, point.Count, point.HasMin ? point.Min : null, point.HasMax ? point.Max : null,
                                Attributes(point.Attributes), point.TimeUnixNano));
                        }

                        break;
                    default:
                        break; // Exponential histograms and summaries: the SDK's defaults produce neither.
                }
            }
        }
    }

    private void AddNumbers(string service, string name, MetricKind kind, IEnumerable<NumberDataPoint> points)
    {
        foreach (var point in points)
        {
            var value = point.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble;
            _points.Enqueue(new ReceivedPoint(service, name, "", kind, value, 1, null, null, Attributes(point.Attributes), point.TimeUnixNano));
        }
    }

    private static string ServiceName(IEnumerable<KeyValue>? attributes) =>
        attributes?.FirstOrDefault(a => a.Key == "service.name")?.Value.StringValue ?? "";

    private static Dictionary<string, string> Attributes(IEnumerable<KeyValue> attributes) =>
        attributes.GroupBy(a => a.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => Text(g.First().Value), StringComparer.Ordinal);

    private static string Text(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        _ => value.ToString(),
    };
}

/// <summary>One exported span: hex ids, its service's <c>service.name</c> and its instrumentation scope.</summary>
internal sealed record ReceivedSpan(
    string Service, string Scope, string TraceId, string SpanId, string? ParentSpanId, string Name, Span.Types.SpanKind Kind,
    IReadOnlyDictionary<string, string> Attributes, ulong StartUnixNano, ulong EndUnixNano)
{
    public override string ToString() => $"{Service}: {Kind} '{Name}' ({Scope}) {SpanId} <- {ParentSpanId ?? "root"}";
}

internal enum MetricKind
{
    Sum,
    Gauge,
    Histogram,
}

/// <summary>One exported data point: a sum's or gauge's value, or a histogram's sum, count, min and max.</summary>
internal sealed record ReceivedPoint(
    string Service, string Name, string Unit, MetricKind Kind, double Value, ulong Count, double? Min, double? Max,
    IReadOnlyDictionary<string, string> Attributes, ulong TimeUnixNano);
