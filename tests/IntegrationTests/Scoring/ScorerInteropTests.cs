using System.Globalization;
using ActiveLabel.Scoring;

namespace ActiveLabel.IntegrationTests.Scoring;

/// <summary>
/// Scorer.Predict called by @grpc/grpc-js and python3-grpcio, run as processes against the real QuerySampler: what
/// they decode, and the status codes their libraries report.
/// </summary>
[Collection(ScorerTests.Name)]
public sealed class ScorerInteropTests(ScorerFixture scorer)
{
    private static readonly string[] Classes = ["ham", "spam"];

    public static TheoryData<string> Clients => [InteropClients.Node, InteropClients.Python];

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Should_predict_stored_items_and_raw_text_for_a_foreign_client(string client)
    {
        var project = await scorer.ArrangeProjectAsync();
        var ids = project.ItemIds.Take(3).ToList();
        var request = new
        {
            project_id = project.Id.ToString(),
            item_ids = ids,
            items = new object[] { new { text = ScorerFixture.SpamText }, new { fields = new Dictionary<string, string> { ["text"] = ScorerFixture.HamText } } },
        };

        var result = await InteropClients.PredictAsync(client, scorer, request, scorer.AnnotatorToken);

        Assert.True(result.Ok, result.ToString());
        var response = result.Response;
        Assert.Equal(1, response.GetProperty("model_version").GetInt32());
        Assert.Equal(Classes, response.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        var predictions = response.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal([.. ids, 0L, 0L], predictions.Select(p => long.Parse(p.GetProperty("item_id").ToString(), CultureInfo.InvariantCulture)));
        foreach (var prediction in predictions)
        {
            var probabilities = prediction.GetProperty("probabilities").EnumerateArray().Select(p => p.GetDouble()).ToList();
            Assert.Equal(1.0, probabilities.Sum(), 1e-9);
            var confidence = prediction.GetProperty("confidence").GetDouble();
            Assert.Equal(probabilities.Max(), confidence, 1e-12);
            Assert.Equal(Classes[probabilities.IndexOf(probabilities.Max())], prediction.GetProperty("predicted_label").GetString());
            // Two classes: least confidence is (1 - p1) * 2, the margin 1 - (p1 - p2); both are in [0, 1].
            Assert.Equal((1 - confidence) * 2, prediction.GetProperty("least_confidence").GetDouble(), 1e-9);
            Assert.Equal(1 - (2 * confidence - 1), prediction.GetProperty("margin").GetDouble(), 1e-9);
            Assert.InRange(prediction.GetProperty("entropy").GetDouble(), 0, 1);
        }

        Assert.Equal("spam", predictions[3].GetProperty("predicted_label").GetString());
        Assert.Equal("ham", predictions[4].GetProperty("predicted_label").GetString());
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Should_answer_UNAUTHENTICATED_without_a_token_and_with_a_revoked_one(string client)
    {
        var project = await scorer.ArrangeProjectAsync(trainModel: false);
        var request = new { project_id = project.Id.ToString(), item_ids = project.ItemIds.Take(1) };

        var anonymous = await InteropClients.PredictAsync(client, scorer, request, token: null);
        var revoked = await InteropClients.PredictAsync(client, scorer, request, scorer.RevokedToken);

        Assert.Equal((int)GrpcStatusCode.Unauthenticated, anonymous.Code);
        Assert.Contains("authorization: Bearer", anonymous.Details, StringComparison.Ordinal);
        Assert.Equal((int)GrpcStatusCode.Unauthenticated, revoked.Code);
        Assert.Contains("revoked", revoked.Details, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Should_answer_NOT_FOUND_to_a_non_member_and_PERMISSION_DENIED_to_a_role_that_may_not_score(string client)
    {
        var project = await scorer.ArrangeProjectAsync();
        var request = new { project_id = project.Id.ToString(), item_ids = project.ItemIds.Take(1) };

        var outsider = await InteropClients.PredictAsync(client, scorer, request, scorer.OutsiderToken);
        var ingest = await InteropClients.PredictAsync(client, scorer, request, scorer.IngestToken);

        Assert.Equal((int)GrpcStatusCode.NotFound, outsider.Code);
        Assert.Equal($"Project {project.Id} not found.", outsider.Details);
        Assert.Equal((int)GrpcStatusCode.PermissionDenied, ingest.Code);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Should_answer_INVALID_ARGUMENT_saying_what_is_wrong_with_the_project_id(string client)
    {
        var result = await InteropClients.PredictAsync(client, scorer, new { project_id = "project-42", item_ids = new List<long> { 1 } }, scorer.AnnotatorToken);

        Assert.Equal((int)GrpcStatusCode.InvalidArgument, result.Code);
        Assert.StartsWith("project_id 'project-42' is not a UUID", result.Details, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Should_answer_RESOURCE_EXHAUSTED_to_a_message_over_4_MiB(string client)
    {
        var project = await scorer.ArrangeProjectAsync();

        var result = await InteropClients.PredictAsync(client, scorer, new { project_id = project.Id.ToString() }, scorer.AnnotatorToken, padBytes: 4 * 1024 * 1024 + 1);

        Assert.Equal((int)GrpcStatusCode.ResourceExhausted, result.Code);
        Assert.Contains("larger than the limit of 4194304 bytes", result.Details, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Should_end_with_DEADLINE_EXCEEDED_when_the_deadline_is_one_millisecond(string client)
    {
        var project = await scorer.ArrangeProjectAsync();

        var result = await InteropClients.PredictAsync(client, scorer, new { project_id = project.Id.ToString(), item_ids = project.ItemIds }, scorer.AnnotatorToken, timeoutMs: 1);

        Assert.Equal((int)GrpcStatusCode.DeadlineExceeded, result.Code);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Should_answer_FAILED_PRECONDITION_while_the_project_has_no_model(string client)
    {
        var project = await scorer.ArrangeProjectAsync(trainModel: false);

        var result = await InteropClients.PredictAsync(client, scorer, new { project_id = project.Id.ToString(), items = new[] { new { text = "hello" } } }, scorer.AnnotatorToken);

        Assert.Equal((int)GrpcStatusCode.FailedPrecondition, result.Code);
        Assert.Equal($"No model has been trained for project {project.Id} yet: one is trained once enough items are labeled.", result.Details);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Should_answer_NOT_FOUND_naming_item_ids_the_project_does_not_hold(string client)
    {
        var project = await scorer.ArrangeProjectAsync();
        var other = await scorer.ArrangeProjectAsync();

        var result = await InteropClients.PredictAsync(
            client, scorer, new { project_id = project.Id.ToString(), item_ids = new[] { project.ItemIds[0], other.ItemIds[0] } }, scorer.AnnotatorToken);

        Assert.Equal((int)GrpcStatusCode.NotFound, result.Code);
        Assert.Equal($"1 item(s) not found in project {project.Id}: {other.ItemIds[0]}.", result.Details);
    }

    [Fact]
    public async Task Should_answer_UNIMPLEMENTED_to_a_gzip_compressed_request()
    {
        var project = await scorer.ArrangeProjectAsync();

        // grpcio sends a message uncompressed when gzip would not shrink it; 1 kB of text always shrinks.
        var result = await InteropClients.PredictAsync(InteropClients.Python, scorer, new { project_id = project.Id.ToString() }, scorer.AnnotatorToken, padBytes: 1000, gzip: true);

        Assert.Equal((int)GrpcStatusCode.Unimplemented, result.Code);
        Assert.Contains("grpc-encoding 'gzip'", result.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_score_with_a_newly_stored_model_version_on_the_next_call()
    {
        var project = await scorer.ArrangeProjectAsync();
        var request = new { project_id = project.Id.ToString(), items = new[] { new { text = ScorerFixture.SpamText } } };
        var first = await InteropClients.PredictAsync(InteropClients.Python, scorer, request, scorer.AnnotatorToken);
        await using (var connection = await scorer.Database.OpenConnectionAsync())
        {
            await project.StoreModelAsync(connection, version: 2, take: 40);
        }

        var second = await InteropClients.PredictAsync(InteropClients.Python, scorer, request, scorer.AnnotatorToken);

        Assert.True(first.Ok && second.Ok, $"{first} {second}");
        Assert.Equal(1, first.Response.GetProperty("model_version").GetInt32());
        Assert.Equal(2, second.Response.GetProperty("model_version").GetInt32());
        Assert.NotEqual(
            first.Response.GetProperty("predictions")[0].GetProperty("confidence").GetDouble(),
            second.Response.GetProperty("predictions")[0].GetProperty("confidence").GetDouble());
    }
}
