using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using ActiveLabel.IntegrationTests.Scoring;
using ActiveLabel.Scoring;
using Google.Protobuf;
using Npgsql;

namespace ActiveLabel.IntegrationTests.BadInput;

/// <summary>
/// Bad calls to the QuerySampler's gRPC Scorer, sent as raw frames with HttpClient over HTTP/2 cleartext (exact
/// version, no fallback): what a well-behaved gRPC library never sends. Each is answered with a gRPC status and a
/// grpc-message saying what is wrong, and the Scorer, which only reads, changes nothing.
/// ScorerWireTests and ScorerInteropTests hold the cases already covered (a truncated message, bytes that are not a
/// PredictRequest, gzip, an unknown method, an expired deadline, a non-UUID project id, over 1,000 items, an unknown
/// column, unknown item ids, no token or a revoked one, the wrong role).
/// </summary>
[Collection(ScorerTests.Name)]
public sealed class ScorerBadInputTests(ScorerFixture scorer) : IAsyncLifetime, IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = scorer.GrpcAddress, Timeout = TimeSpan.FromSeconds(30) };
    private NpgsqlConnection _connection = null!;
    private DataSnapshot _before = null!;

    public async Task InitializeAsync()
    {
        _connection = await scorer.Database.OpenConnectionAsync();
        _before = await DataSnapshot.TakeAsync(_connection);
    }

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task Message_over_the_4_MiB_limit_should_be_RESOURCE_EXHAUSTED_from_its_length_prefix()
    {
        const int announced = GrpcFraming.DefaultMaxMessageBytes + 1;
        var frame = new byte[5 + announced];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), announced);

        var answer = await CallAsync(frame);

        Assert.Equal((GrpcStatusCode.ResourceExhausted, "Message of 4194305 bytes is larger than the limit of 4194304 bytes."), (answer.Status, answer.Message));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Frame_with_an_unknown_flag_byte_should_be_INTERNAL_naming_the_flag()
    {
        var frame = Frame(new PredictRequest { ProjectId = Guid.NewGuid().ToString(), ItemIds = { 1 } });
        frame[0] = 2;

        var answer = await CallAsync(frame);

        Assert.Equal((GrpcStatusCode.Internal, "Malformed gRPC frame: compressed flag 2 (expected 0 or 1)."), (answer.Status, answer.Message));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Frame_cut_inside_its_5_byte_prefix_should_be_INTERNAL()
    {
        var answer = await CallAsync([0, 0, 0]);

        Assert.Equal((GrpcStatusCode.Internal, "Malformed gRPC frame: the stream ended after 3 of the 5 prefix bytes."), (answer.Status, answer.Message));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Two_messages_in_a_unary_call_should_be_INTERNAL()
    {
        var one = Frame(new PredictRequest { ProjectId = Guid.NewGuid().ToString(), ItemIds = { 1 } });

        var answer = await CallAsync([.. one, .. one]);

        Assert.Equal((GrpcStatusCode.Internal, "A unary call carries exactly one message; more data followed it."), (answer.Status, answer.Message));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Call_with_no_message_should_be_INTERNAL()
    {
        var answer = await CallAsync([]);

        Assert.Equal((GrpcStatusCode.Internal, "The request carries no message: a unary call sends exactly one."), (answer.Status, answer.Message));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Compressed_flag_without_a_grpc_encoding_should_be_INTERNAL()
    {
        var frame = Frame(new PredictRequest { ProjectId = Guid.NewGuid().ToString(), ItemIds = { 1 } });
        frame[0] = 1;

        var answer = await CallAsync(frame);

        Assert.Equal((GrpcStatusCode.Internal, "Malformed gRPC frame: the compressed flag is set but grpc-encoding names no compression."), (answer.Status, answer.Message));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Malformed_grpc_timeout_should_be_INVALID_ARGUMENT_with_an_example()
    {
        var answer = await CallAsync(Frame(new PredictRequest { ProjectId = Guid.NewGuid().ToString(), ItemIds = { 1 } }), ("grpc-timeout", "soon"));

        Assert.Equal(GrpcStatusCode.InvalidArgument, answer.Status);
        Assert.Equal("grpc-timeout 'soon' is malformed: expected 1 to 8 digits and a unit (H, M, S, m, u or n), e.g. 2S or 500m.", answer.Message);
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Negative_item_id_should_be_INVALID_ARGUMENT_naming_it()
    {
        var project = await scorer.ArrangeProjectAsync();
        _before = await DataSnapshot.TakeAsync(_connection);

        var answer = await CallAsync(Frame(new PredictRequest { ProjectId = project.Id.ToString(), ItemIds = { project.ItemIds[0], -7 } }));

        Assert.Equal((GrpcStatusCode.InvalidArgument, "item_ids must be positive; got -7."), (answer.Status, answer.Message));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Request_with_nothing_to_score_should_be_INVALID_ARGUMENT()
    {
        var answer = await CallAsync(Frame(new PredictRequest { ProjectId = Guid.NewGuid().ToString() }));

        Assert.Equal((GrpcStatusCode.InvalidArgument, "Nothing to score: give item_ids, items, or both."), (answer.Status, answer.Message));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Unknown_project_should_be_NOT_FOUND_naming_it()
    {
        var unknown = Guid.NewGuid();

        var answer = await CallAsync(Frame(new PredictRequest { ProjectId = unknown.ToString(), ItemIds = { 1 } }));

        Assert.Equal((GrpcStatusCode.NotFound, $"Project {unknown} not found."), (answer.Status, answer.Message));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Json_instead_of_a_gRPC_frame_should_be_HTTP_415_naming_the_content_type()
    {
        using var request = Request(new StringContent("""{"projectId": "x"}"""));
        request.Content!.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("This is a gRPC method: send Content-Type application/grpc, not 'application/json'.", await response.Content.ReadAsStringAsync());
        await AssertNothingChangedAsync();
    }

    private static byte[] Frame(IMessage message) => GrpcFraming.Frame(message);

    private HttpRequestMessage Request(HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, ScorerClient.PredictPath)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", scorer.AnnotatorToken);
        return request;
    }

    /// <summary>Sends <paramref name="body"/> as it is and reads the status from the headers (trailers-only) or the trailers.</summary>
    private async Task<(GrpcStatusCode Status, string Message)> CallAsync(byte[] body, params (string Name, string Value)[] headers)
    {
        using var request = Request(new ByteArrayContent(body));
        request.Content!.Headers.ContentType = new MediaTypeHeaderValue(GrpcProtocol.ContentType);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var source = response.Headers.Contains("grpc-status") ? response.Headers : response.TrailingHeaders;
        var status = (GrpcStatusCode)int.Parse(source.GetValues("grpc-status").Single(), System.Globalization.CultureInfo.InvariantCulture);
        return (status, source.TryGetValues("grpc-message", out var messages) ? GrpcProtocol.PercentDecode(messages.Single()) : "");
    }

    private Task AssertNothingChangedAsync() => DataSnapshot.AssertUnchangedAsync(_connection, _before);
}
