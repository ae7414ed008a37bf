using System.Net;
using System.Net.Http.Headers;

namespace ActiveLabel.Scoring;

/// <summary>
/// A client of the Scorer over gRPC: HTTP/2 cleartext with prior knowledge (h2c), <c>application/grpc</c>, the status
/// read from the trailers (or from the headers of a trailers-only answer). Give it an <see cref="HttpClient"/> whose
/// <see cref="HttpClient.BaseAddress"/> is the scorer, e.g. <c>http://localhost:5105</c>.
/// </summary>
public sealed class ScorerClient(HttpClient http)
{
    /// <summary>The path of Scorer.Predict: <c>/{package}.{service}/{method}</c>.</summary>
    public const string PredictPath = "/activelabel.scoring.v1.Scorer/Predict";

    private static readonly MediaTypeHeaderValue GrpcContentType = new(GrpcProtocol.ContentType);

    /// <summary>Answers larger than this are refused (RESOURCE_EXHAUSTED), as gRPC clients do by default.</summary>
    public int MaxReceiveMessageBytes { get; init; } = GrpcFraming.DefaultMaxMessageBytes;

    /// <summary>Scores items with the project's latest model.</summary>
    /// <param name="request">The project and the items.</param>
    /// <param name="bearerToken">Sent as <c>authorization: Bearer …</c>; the scorer authenticates every call.</param>
    /// <param name="timeout">The deadline, sent as <c>grpc-timeout</c> and enforced here too.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="GrpcException">The call ended with a status other than OK, including DEADLINE_EXCEEDED and
    /// UNAVAILABLE (the scorer could not be reached).</exception>
    public async Task<PredictResponse> PredictAsync(PredictRequest request, string? bearerToken, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (timeout <= TimeSpan.Zero)
        {
            throw new GrpcException(GrpcStatusCode.DeadlineExceeded, "The deadline passed before the call was sent.");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(PredictPath, UriKind.Relative))
        {
            // gRPC needs HTTP/2; with an http:// address this is h2c with prior knowledge, no upgrade dance.
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(GrpcFraming.Frame(request)),
        };
        message.Content.Headers.ContentType = GrpcContentType;
        message.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        message.Headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcProtocol.FormatTimeout(timeout));
        if (bearerToken is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        }

        try
        {
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new GrpcException(GrpcProtocol.StatusFromHttp(response.StatusCode), $"The scorer answered HTTP {(int)response.StatusCode} instead of gRPC.");
            }

            // Trailers-only: an error answer may carry its status in the headers and no body at all.
            ThrowIfError(response.Headers);
            await using var body = await response.Content.ReadAsStreamAsync(deadline.Token);
            var encoding = response.Headers.TryGetValues(GrpcProtocol.EncodingHeader, out var values) ? values.FirstOrDefault() : null;
            var reply = await GrpcFraming.ReadSingleMessageAsync(body, PredictResponse.Parser, MaxReceiveMessageBytes, encoding, deadline.Token);
            if (!ThrowIfError(response.TrailingHeaders))
            {
                throw new GrpcException(GrpcStatusCode.Internal, "The scorer's answer has no grpc-status trailer.");
            }

            return reply ?? throw new GrpcException(GrpcStatusCode.Internal, "The scorer answered OK without a message.");
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new GrpcException(GrpcStatusCode.DeadlineExceeded, $"The scorer did not answer within {timeout.TotalMilliseconds:0} ms.", e);
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new GrpcException(GrpcStatusCode.Cancelled, "The call was cancelled.", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new GrpcException(GrpcStatusCode.Unavailable, $"The scorer at {http.BaseAddress} could not be reached: {e.Message}", e);
        }
    }

    /// <summary>False when the headers carry no status; throws when they carry one other than OK.</summary>
    private static bool ThrowIfError(HttpHeaders headers)
    {
        if (!headers.TryGetValues(GrpcProtocol.StatusHeader, out var statuses))
        {
            return false;
        }

        var status = int.TryParse(statuses.FirstOrDefault(), System.Globalization.CultureInfo.InvariantCulture, out var code) ? (GrpcStatusCode)code : GrpcStatusCode.Unknown;
        if (status == GrpcStatusCode.OK)
        {
            return true;
        }

        var detail = headers.TryGetValues(GrpcProtocol.MessageHeader, out var messages) ? GrpcProtocol.PercentDecode(messages.FirstOrDefault() ?? "") : "";
        throw new GrpcException(status, detail.Length > 0 ? detail : $"The scorer answered {status}.");
    }
}
