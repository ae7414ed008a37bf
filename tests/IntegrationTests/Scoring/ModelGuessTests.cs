using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ActiveLabel.Scoring;

namespace ActiveLabel.IntegrationTests.Scoring;

/// <summary>Labeling's model guess, end to end: the Labeling process asks the QuerySampler process's Scorer over h2c.</summary>
[Collection(ScorerTests.Name)]
public sealed class ModelGuessTests(ScorerFixture scorer)
{
    [Fact]
    public async Task Should_show_the_current_models_guess_for_an_item()
    {
        var project = await scorer.ArrangeProjectAsync();
        var item = project.ItemIds[0];
        using var grpc = new HttpClient { BaseAddress = scorer.GrpcAddress };
        var scored = (await new ScorerClient(grpc).PredictAsync(
            new PredictRequest { ProjectId = project.Id.ToString(), ItemIds = { item } }, scorer.AnnotatorToken, TimeSpan.FromSeconds(5))).Predictions.Single();

        using var response = await GetGuessAsync(project.Id, item, scorer.AnnotatorToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var guess = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(1, guess.GetProperty("modelVersion").GetInt32());
        Assert.Equal(scored.PredictedLabel, guess.GetProperty("label").GetString());
        Assert.Equal(scored.Confidence, guess.GetProperty("confidence").GetDouble(), 1e-12);
        var probabilities = guess.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(["ham", "spam"], probabilities.Keys);
        Assert.Equal(scored.Probabilities, probabilities.Values);
        Assert.Equal(1.0, probabilities.Values.Sum(), 1e-9);
    }

    [Fact]
    public async Task Should_answer_404_no_model_yet_while_the_project_has_no_model()
    {
        var project = await scorer.ArrangeProjectAsync(trainModel: false);

        using var response = await GetGuessAsync(project.Id, project.ItemIds[0], scorer.AnnotatorToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("No model yet", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_answer_404_to_a_non_member_and_401_without_a_token()
    {
        var project = await scorer.ArrangeProjectAsync();

        using var outsider = await GetGuessAsync(project.Id, project.ItemIds[0], scorer.OutsiderToken);
        using var anonymous = await GetGuessAsync(project.Id, project.ItemIds[0], token: null);

        Assert.Equal(HttpStatusCode.NotFound, outsider.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    private async Task<HttpResponseMessage> GetGuessAsync(Guid project, long item, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/projects/{project}/items/{item}/guess", UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await scorer.Labeling.Http.SendAsync(request);
    }
}
