using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using ActiveLabel.Scoring;

namespace ActiveLabel.IntegrationTests.Scoring;

/// <summary>
/// The Scorer's side of the gRPC wire protocol, checked byte for byte with a plain HTTP/2 client: what no well-behaved
/// client library can be made to send (broken frames, an expired grpc-timeout), and the exact headers it answers.
/// Also ScorerClient, the platform's own client, against the real server.
/// </summary>
[Collection(ScorerTests.Name)]
public sealed class ScorerWireTests(ScorerFixture scorer) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = scorer.GrpcAddress, Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task Should_answer_DEADLINE_EXCEEDED_when_the_grpc_timeout_has_passed_before_the_answer()
    {
        var project = await scorer.ArrangeProjectAsync();
        var request = new PredictRequest { ProjectId = project.Id.ToString(), ItemIds = { project.ItemIds } };

        var answer = await CallAsync(GrpcFraming.Frame(request), ("grpc-timeout", "1n"));

        Assert.Equal(GrpcStatusCode.DeadlineExceeded, answer.Status);
        Assert.Empty(answer.Body);
    }

    [Fact]
    public async Task Should_answer_INTERNAL_to_a_frame_shorter_than_its_length_prefix()
    {
        var project = await scorer.ArrangeProjectAsync();
        var frame = GrpcFraming.Frame(new PredictRequest { ProjectId = project.Id.ToString(), ItemIds = { project.ItemIds } });

        var answer = await CallAsync(frame[..^3]);

        Assert.Equal(GrpcStatusCode.Internal, answer.Status);
        Assert.Equal($"Malformed gRPC frame: the stream ended after {frame.Length - 8} of the {frame.Length - 5} message bytes announced.", answer.Message);
    }

    [Fact]
    public async Task Should_answer_INTERNAL_to_bytes_that_are_not_a_PredictRequest()
    {
        var frame = new byte[] { 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF };

        var answer = await CallAsync(frame);

        Assert.Equal(GrpcStatusCode.Internal, answer.Status);
        Assert.StartsWith("The message is not a valid PredictRequest", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_answer_UNIMPLEMENTED_and_name_identity_as_the_accepted_encoding_for_a_compressed_frame()
    {
        var frame = GrpcFraming.Frame(new PredictRequest { ProjectId = Guid.NewGuid().ToString() });
        frame[0] = 1;

        var answer = await CallAsync(frame, ("grpc-encoding", "gzip"));

        Assert.Equal(GrpcStatusCode.Unimplemented, answer.Status);
        Assert.Equal("identity", answer.Headers.GetValues("grpc-accept-encoding").Single());
    }

    [Fact]
    public async Task Should_send_errors_trailers_only_with_a_percent_encoded_grpc_message()
    {
        var request = new PredictRequest { ProjectId = "ü 100%", ItemIds = { 1 } };

        var answer = await CallAsync(GrpcFraming.Frame(request));

        Assert.Equal(HttpStatusCode.OK, answer.HttpStatus);
        Assert.Equal("application/grpc", answer.ContentType);
        Assert.Empty(answer.Body);
        Assert.Equal("3", answer.Headers.GetValues("grpc-status").Single());
        Assert.StartsWith("project_id '%C3%BC 100%25' is not a UUID", answer.Headers.GetValues("grpc-message").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_answer_OK_in_the_trailers_after_one_length_prefixed_message()
    {
        var project = await scorer.ArrangeProjectAsync();

        var answer = await CallAsync(GrpcFraming.Frame(new PredictRequest { ProjectId = project.Id.ToString(), ItemIds = { project.ItemIds[0] } }));

        Assert.Equal(GrpcStatusCode.OK, answer.Status);
        Assert.False(answer.Headers.Contains("grpc-status"));
        Assert.Equal(0, answer.Body[0]);
        Assert.Equal(answer.Body.Length - 5, (int)BinaryPrimitives.ReadUInt32BigEndian(answer.Body.AsSpan(1, 4)));
        Assert.Equal(project.ItemIds[0], PredictResponse.Parser.ParseFrom(answer.Body[5..]).Predictions.Single().ItemId);
    }

    [Fact]
    public async Task Should_not_serve_gRPC_on_the_HTTP1_port()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ScorerClient.PredictPath) { Content = new ByteArrayContent(GrpcFraming.Frame(new PredictRequest())) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", scorer.AnnotatorToken);

        using var response = await scorer.QuerySampler.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
    }

    [Fact]
    public async Task ScorerClient_should_return_the_predictions_and_throw_the_servers_status()
    {
        var project = await scorer.ArrangeProjectAsync();
        var untrained = await scorer.ArrangeProjectAsync(trainModel: false);
        var client = new ScorerClient(_http);

        var response = await client.PredictAsync(
            new PredictRequest { ProjectId = project.Id.ToString(), Items = { new RawItem { Text = ScorerFixture.SpamText } } }, scorer.AnnotatorToken, TimeSpan.FromSeconds(5));
        var noModel = await Assert.ThrowsAsync<GrpcException>(() => client.PredictAsync(
            new PredictRequest { ProjectId = untrained.Id.ToString(), ItemIds = { untrained.ItemIds[0] } }, scorer.AnnotatorToken, TimeSpan.FromSeconds(5)));
        var anonymous = await Assert.ThrowsAsync<GrpcException>(() => client.PredictAsync(
            new PredictRequest { ProjectId = project.Id.ToString(), ItemIds = { 1 } }, bearerToken: null, TimeSpan.FromSeconds(5)));

        Assert.Equal(1, response.ModelVersion);
        Assert.Equal("spam", response.Predictions.Single().PredictedLabel);
        Assert.Equal(GrpcStatusCode.FailedPrecondition, noModel.StatusCode);
        Assert.StartsWith("No model has been trained", noModel.Message, StringComparison.Ordinal);
        Assert.Equal(GrpcStatusCode.Unauthenticated, anonymous.StatusCode);
    }

    [Fact]
    public async Task Should_answer_UNIMPLEMENTED_to_a_method_the_Scorer_does_not_have()
    {
        var answer = await CallAsync(GrpcFraming.Frame(new PredictRequest()), path: "/activelabel.scoring.v1.Scorer/Train");

        Assert.Equal(GrpcStatusCode.Unimplemented, answer.Status);
        Assert.Equal("Method activelabel.scoring.v1.Scorer/Train is not implemented.", answer.Message);
    }

    [Fact]
    public async Task Should_answer_INVALID_ARGUMENT_to_more_than_1000_items_or_an_unknown_column()
    {
        var project = await scorer.ArrangeProjectAsync();
        var client = new ScorerClient(_http);
        var tooMany = new PredictRequest { ProjectId = project.Id.ToString(), ItemIds = { Enumerable.Range(1, 1001).Select(i => (long)i) } };
        var unknownColumn = new PredictRequest { ProjectId = project.Id.ToString(), Items = { new RawItem { Fields = { ["title"] = "x" } } } };

        var tooManyError = await Assert.ThrowsAsync<GrpcException>(() => client.PredictAsync(tooMany, scorer.AnnotatorToken, TimeSpan.FromSeconds(5)));
        var unknownColumnError = await Assert.ThrowsAsync<GrpcException>(() => client.PredictAsync(unknownColumn, scorer.AnnotatorToken, TimeSpan.FromSeconds(5)));

        Assert.Equal(GrpcStatusCode.InvalidArgument, tooManyError.StatusCode);
        Assert.Equal("1001 items in one request; at most 1000 are allowed: split the request.", tooManyError.Message);
        Assert.Equal(GrpcStatusCode.InvalidArgument, unknownColumnError.StatusCode);
        Assert.Equal("items[0].fields names column 'title', which the project does not have; its columns are: text.", unknownColumnError.Message);
    }

    private async Task<WireAnswer> CallAsync(byte[] body, params (string Name, string Value)[] headers) =>
        await CallAsync(body, ScorerClient.PredictPath, headers);

    private async Task<WireAnswer> CallAsync(byte[] body, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", scorer.AnnotatorToken);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        // Trailers-only answers carry the status in the headers; others in the trailers.
        var source = response.Headers.Contains("grpc-status") ? response.Headers : response.TrailingHeaders;
        var status = (GrpcStatusCode)int.Parse(source.GetValues("grpc-status").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var message = source.TryGetValues("grpc-message", out var messages) ? GrpcProtocol.PercentDecode(messages.Single()) : "";
        return new WireAnswer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers, bytes, status, message);
    }

    private sealed record WireAnswer(
        HttpStatusCode HttpStatus, string? ContentType, HttpResponseHeaders Headers, byte[] Body, GrpcStatusCode Status, string Message);
}
