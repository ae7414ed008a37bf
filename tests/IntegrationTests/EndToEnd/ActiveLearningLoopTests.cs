using System.Text.Json;
using ActiveLabel.IntegrationTests.Infrastructure;
using ActiveLabel.IntegrationTests.Scoring;
using ActiveLabel.Learning;
using ActiveLabel.Persistence.Reading;
using Npgsql;

namespace ActiveLabel.IntegrationTests.EndToEnd;

/// <summary>
/// The clickbait set imported with 100 seed labels, then 20 oracle annotators giving 500 labels through the API,
/// with the four services as separate processes on the real servers.
/// </summary>
public sealed class ActiveLearningLoopTests(ActiveLearningLoopFixture loop) : IClassFixture<ActiveLearningLoopFixture>
{
    private const int N = ActiveLearningLoopFixture.RetrainEvery;

    [Fact]
    public void Import_should_store_every_headline_with_exactly_the_seed_labels_asked_for()
    {
        Assert.Contains("32,000 inserted", loop.ImportOutput, StringComparison.Ordinal);
        Assert.Contains($"{ActiveLearningLoopFixture.SeedLabels} seed labels", loop.ImportOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_label_the_API_accepted_should_be_stored_exactly_once()
    {
        var summary = JsonDocument.Parse(loop.AnnotateSummaryJson).RootElement;
        var accepted = summary.GetProperty("labelIds").EnumerateArray().Select(e => e.GetInt64()).ToHashSet();

        await using var connection = await loop.Database.OpenConnectionAsync();
        var stored = (await TestData.ReadColumnAsync(connection, $"SELECT id::text FROM labels WHERE project_id = '{loop.ProjectId}'")).Select(long.Parse).ToList();

        Assert.Equal(ActiveLearningLoopFixture.Budget, summary.GetProperty("accepted").GetInt32());
        Assert.Equal(0, summary.GetProperty("errors").GetInt32());
        Assert.Equal(ActiveLearningLoopFixture.Budget, stored.Count);
        Assert.True(accepted.SetEquals(stored), "The stored labels differ from the ones the API acknowledged.");
    }

    [Fact]
    public async Task No_item_should_have_been_given_to_two_annotators()
    {
        var summary = JsonDocument.Parse(loop.AnnotateSummaryJson).RootElement;

        Assert.Equal(0, summary.GetProperty("servedTwice").GetInt32());
        Assert.Equal(0, summary.GetProperty("conflicts").GetInt32());
        Assert.Equal(ActiveLearningLoopFixture.Budget, await loop.ScalarAsync("SELECT count(DISTINCT item_id) FROM labels WHERE project_id = @p"));
    }

    [Fact]
    public async Task Every_label_should_be_in_the_latest_model_and_models_should_come_every_N_labels()
    {
        var versions = await ReadModelsAsync();
        var labeled = await loop.ScalarAsync("SELECT count(*) FROM items WHERE project_id = @p AND is_labeled");

        Assert.Equal(ActiveLearningLoopFixture.SeedLabels + ActiveLearningLoopFixture.Budget, labeled);
        Assert.Equal(labeled, versions[^1].TrainedOn);
        Assert.Equal(ActiveLearningLoopFixture.SeedLabels, versions[0].TrainedOn);
        Assert.True(versions.Count >= 4, $"Expected a model every {N} labels (bursts coalesce), got {versions.Count} versions.");
        // Every retrain but the final idle flush was triggered by at least N new labels.
        for (var i = 1; i < versions.Count - 1; i++)
        {
            Assert.True(versions[i].TrainedOn - versions[i - 1].TrainedOn >= N, $"v{versions[i].Version} came after only {versions[i].TrainedOn - versions[i - 1].TrainedOn} labels.");
        }
    }

    [Fact]
    public async Task The_stored_AUC_history_should_rise()
    {
        var versions = await ReadModelsAsync();

        Assert.All(versions, v => Assert.NotNull(v.Auc));
        // Cross-validated on the labels themselves, which active learning picks among the hardest items, so the
        // stored AUC understates the model; it must still end above where the seed labels started.
        Assert.True(versions[^1].Auc > versions[0].Auc, $"AUC went from {versions[0].Auc:0.000} to {versions[^1].Auc:0.000}.");
    }

    [Fact]
    public async Task Items_served_should_follow_the_ranking_of_the_current_session()
    {
        // An item is served from deep in a session only if every better-ranked item was unavailable then: labeled
        // (perhaps from the previous session while this one was computed) or held by another annotator, who then
        // labeled it. So when the run is over, no better-ranked item of any session may be left unlabeled.
        const string sql = """
            WITH served AS (
                SELECT query_session_id AS session_id, count(*) AS served, max(query_rank) AS deepest
                FROM labels WHERE project_id = @p AND query_session_id IS NOT NULL GROUP BY 1)
            SELECT s.session_id, s.served, s.deepest,
                   (SELECT count(*) FROM queries q JOIN items i ON i.id = q.item_id
                    WHERE q.project_id = @p AND q.session_id = s.session_id AND q.rank < s.deepest AND NOT i.is_labeled)
            FROM served s ORDER BY 1
            """;
        await using var connection = await loop.Database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("p", loop.ProjectId);
        await using var reader = await command.ExecuteReaderAsync();
        var fromSessions = 0L;
        while (await reader.ReadAsync())
        {
            var (session, served, deepest, passedOver) = (reader.GetInt32(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetInt64(3));
            fromSessions += served;
            Assert.True(passedOver == 0, $"Session {session}: {passedOver} items ranked above rank {deepest} (the deepest of {served} served) were never labeled.");
        }

        Assert.Equal(ActiveLearningLoopFixture.Budget, fromSessions);
    }

    [Theory]
    [InlineData(InteropClients.Node)]
    [InlineData(InteropClients.Python)]
    public async Task The_Scorer_should_answer_a_foreign_gRPC_client_with_the_latest_model(string client)
    {
        var pythonMessages = await InteropClients.GeneratePythonMessagesAsync();
        try
        {
            var (latest, model, itemId, itemPayload) = await ReadLatestModelAndAnItemAsync();
            const string Headline = "You Won't Believe What These 21 Cats Did Next";
            var request = new { project_id = loop.ProjectId.ToString(), item_ids = new[] { itemId }, items = new[] { new { text = Headline } } };

            var result = await InteropClients.PredictAsync(client, loop.GrpcAddress, pythonMessages, request, loop.AdminToken);

            // The answer must be exactly what the newest stored model computes for the same item and text.
            Assert.True(result.Ok, result.ToString());
            Assert.Equal(latest, result.Response.GetProperty("model_version").GetInt32());
            var predictions = result.Response.GetProperty("predictions").EnumerateArray().ToList();
            var expected = new[] { model.PredictProba(itemPayload), model.PredictProba(Headline) };
            Assert.Equal(2, predictions.Count);
            for (var i = 0; i < 2; i++)
            {
                var actual = predictions[i].GetProperty("probabilities").EnumerateArray().Select(x => x.GetDouble()).ToArray();
                Assert.Equal(expected[i].Length, actual.Length);
                for (var k = 0; k < actual.Length; k++)
                {
                    Assert.Equal(expected[i][k], actual[k], 6);
                }
            }
        }
        finally
        {
            Directory.Delete(pythonMessages, recursive: true);
        }
    }

    private async Task<(int Version, ProjectModel Model, long ItemId, Dictionary<string, string?> Payload)> ReadLatestModelAndAnItemAsync()
    {
        await using var connection = await loop.Database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT m.version, m.model, i.id, i.payload::text
            FROM model_versions m, LATERAL (SELECT id, payload FROM items WHERE project_id = @p AND NOT is_labeled ORDER BY id LIMIT 1) i
            WHERE m.project_id = @p ORDER BY m.version DESC LIMIT 1
            """, connection);
        command.Parameters.AddWithValue("p", loop.ProjectId);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt32(0), ProjectModel.Deserialize(reader.GetFieldValue<byte[]>(1)), reader.GetInt64(2), ItemPayload.ToColumns(reader.GetString(3)));
    }

    private async Task<List<ModelRow>> ReadModelsAsync()
    {
        await using var connection = await loop.Database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT version, trained_on_labels, (metrics->>'auc')::float8 FROM model_versions WHERE project_id = @p ORDER BY version", connection);
        command.Parameters.AddWithValue("p", loop.ProjectId);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<ModelRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new ModelRow(reader.GetInt32(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetDouble(2)));
        }

        return rows;
    }

    private sealed record ModelRow(int Version, int TrainedOn, double? Auc);
}
