using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using ActiveLabel.Learning;
using ActiveLabel.Scoring;
using ActiveLabel.ServiceDefaults.Telemetry;
using Google.Protobuf;
using Microsoft.AspNetCore.Http.Features;
using Npgsql;

namespace ActiveLabel.QuerySampler.Features.Scoring;

/// <summary>Marks an endpoint as a gRPC method, so that even authorization failures answer in gRPC's terms.</summary>
internal sealed record GrpcMethodMetadata(string Method);

/// <summary>
/// Serves unary gRPC methods on ASP.NET routing, without Grpc.AspNetCore (absent from the package mirror). Everything
/// that is the same for every method lives here: protocol checks, <c>grpc-timeout</c>, reading and writing framed
/// messages, mapping exceptions to status codes, and logging the outcome. A method is a plain async function.
/// </summary>
internal static class GrpcUnaryEndpoint
{
    /// <summary>
    /// <c>alp.scorer.duration</c> (ms, tags <c>rpc.method</c> and <c>rpc.grpc.status_code</c>): server-side latency of
    /// each Scorer call, from the request's arrival to its answer or failure status.
    /// </summary>
    private static readonly Histogram<double> CallDuration = PlatformTelemetry.Meter.CreateHistogram<double>(
        "alp.scorer.duration", "ms", "Server-side latency of Scorer gRPC calls.");

    public static IEndpointConventionBuilder MapGrpcUnary<TRequest, TResponse>(
        this IEndpointRouteBuilder endpoints, string path, MessageParser<TRequest> parser, int maxMessageBytes,
        Func<HttpContext, TRequest, CancellationToken, Task<TResponse>> method)
        where TRequest : class, IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        return endpoints.MapPost(path, context => RunAsync(context, path, async cancellationToken =>
            {
                var encoding = context.Request.Headers[GrpcProtocol.EncodingHeader].ToString();
                var request = await GrpcFraming.ReadSingleMessageAsync(context.Request.Body, parser, maxMessageBytes, encoding, cancellationToken)
                    ?? throw new GrpcException(GrpcStatusCode.Internal, "The request carries no message: a unary call sends exactly one.");
                return await method(context, request, cancellationToken);
            }))
            .WithMetadata(new GrpcMethodMetadata(path));
    }

    /// <summary>Answers every other method of a service with UNIMPLEMENTED, as gRPC servers do.</summary>
    public static IEndpointConventionBuilder MapGrpcUnimplemented(this IEndpointRouteBuilder endpoints, string service)
    {
        var pattern = $"/{service}/{{method}}";
        return endpoints.MapPost(pattern, context => RunAsync<IMessage>(context, pattern, _ =>
                throw new GrpcException(GrpcStatusCode.Unimplemented, $"Method {service}/{context.Request.RouteValues["method"]} is not implemented.")))
            .WithMetadata(new GrpcMethodMetadata(pattern));
    }

    /// <summary>
    /// Answers with a status and no message. Before the response has started this is a trailers-only answer (the
    /// status in the headers of a body-less 200), which every gRPC client accepts.
    /// </summary>
    public static async Task WriteStatusAsync(HttpContext context, GrpcStatusCode status, string message)
    {
        var response = context.Response;
        var code = ((int)status).ToString(CultureInfo.InvariantCulture);
        var encoded = GrpcProtocol.PercentEncode(message);
        if (response.HasStarted)
        {
            response.AppendTrailer(GrpcProtocol.StatusHeader, code);
            response.AppendTrailer(GrpcProtocol.MessageHeader, encoded);
            return;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.IdentityEncoding;
        response.Headers[GrpcProtocol.StatusHeader] = code;
        response.Headers[GrpcProtocol.MessageHeader] = encoded;
        await response.CompleteAsync();
    }

    private static async Task RunAsync<TResponse>(HttpContext context, string method, Func<CancellationToken, Task<TResponse>> call)
        where TResponse : IMessage
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GrpcUnaryEndpoint));
        if (!HttpProtocol.IsHttp2(context.Request.Protocol))
        {
            // gRPC needs HTTP/2 (and its trailers); on the HTTP/1 port this route is not a gRPC endpoint.
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return;
        }

        if (!context.Request.ContentType?.StartsWith(GrpcProtocol.ContentType, StringComparison.OrdinalIgnoreCase) ?? true)
        {
            // PROTOCOL-HTTP2.md: a request that is not application/grpc gets HTTP 415, not a gRPC status.
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            await context.Response.WriteAsync($"This is a gRPC method: send Content-Type {GrpcProtocol.ContentType}, not '{context.Request.ContentType}'.");
            return;
        }

        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        TimeSpan? timeout = null;
        try
        {
            timeout = ReadTimeout(context.Request);
            if (timeout is { } limit)
            {
                deadline.CancelAfter(limit);
            }

            // The message size limit is the one that applies; Kestrel's body limit would answer a non-gRPC 413.
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            {
                bodySize.MaxRequestBodySize = null;
            }

            var reply = await call(deadline.Token);

            // An answer after the deadline is useless to the caller, whose own timer has fired; say so consistently.
            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                throw new OperationCanceledException(deadline.Token);
            }

            context.Response.ContentType = GrpcProtocol.ContentType;
            context.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.IdentityEncoding;
            await context.Response.Body.WriteAsync(GrpcFraming.Frame(reply), context.RequestAborted);
            context.Response.AppendTrailer(GrpcProtocol.StatusHeader, "0");
            RecordCall(method, started, GrpcStatusCode.OK);
            logger.LogDebug("gRPC {Method} answered OK in {ElapsedMs:0.0} ms", method, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller reset the stream or went away: there is nobody to answer.
            RecordCall(method, started, GrpcStatusCode.Cancelled);
            logger.LogInformation("gRPC {Method} cancelled by the caller after {ElapsedMs:0.0} ms", method, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception exception)
        {
            var (status, message) = ToStatus(exception, timeout);
            // The caller's mistakes are routine; only the server's own failures deserve an error with its stack trace.
            var serverFault = status is GrpcStatusCode.Internal or GrpcStatusCode.Unknown or GrpcStatusCode.Unavailable;
            logger.Log(serverFault ? LogLevel.Error : LogLevel.Information, serverFault ? exception : null,
                "gRPC {Method} answered {Status} in {ElapsedMs:0.0} ms: {StatusMessage}", method, status, Stopwatch.GetElapsedTime(started).TotalMilliseconds, message);
            RecordCall(method, started, status);
            await WriteStatusAsync(context, status, message);
        }
    }

    private static void RecordCall(string method, long started, GrpcStatusCode status) =>
        CallDuration.Record(
            Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            new KeyValuePair<string, object?>("rpc.method", method),
            new KeyValuePair<string, object?>("rpc.grpc.status_code", (int)status));

    private static TimeSpan? ReadTimeout(HttpRequest request)
    {
        var value = request.Headers[GrpcProtocol.TimeoutHeader].ToString();
        if (value.Length == 0)
        {
            return null;
        }

        return GrpcProtocol.TryParseTimeout(value, out var timeout)
            ? timeout
            : throw new GrpcException(GrpcStatusCode.InvalidArgument,
                $"grpc-timeout '{value}' is malformed: expected 1 to 8 digits and a unit (H, M, S, m, u or n), e.g. 2S or 500m.");
    }

    /// <summary>The one place where failures become statuses.</summary>
    private static (GrpcStatusCode Status, string Message) ToStatus(Exception exception, TimeSpan? timeout) => exception switch
    {
        GrpcException e => (e.StatusCode, e.Message),
        OperationCanceledException when timeout is { } t => (GrpcStatusCode.DeadlineExceeded, $"Deadline exceeded: the call's grpc-timeout of {t.TotalMilliseconds:0.###} ms passed."),
        OperationCanceledException => (GrpcStatusCode.Cancelled, "The call was cancelled."),
        DataFormatException e => (GrpcStatusCode.InvalidArgument, e.Message),
        ModelFormatException e => (GrpcStatusCode.Internal, "The project's stored model cannot be read: " + e.Message),
        NpgsqlException { IsTransient: true } or TimeoutException => (GrpcStatusCode.Unavailable, "The database is unavailable; retry later."),
        _ => (GrpcStatusCode.Internal, "Internal error; the server log has the details."),
    };
}
