using System.Net;
using System.Text.Json;
using ActiveLabel.IntegrationTests.Infrastructure;
using ActiveLabel.IntegrationTests.Scoring;
using ActiveLabel.Learning;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Dashboard;

public sealed class DashboardTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private const double Tolerance = 1e-9;

    [Fact]
    public async Task Should_compute_agreement_and_kappa_on_items_labeled_twice_and_count_labels_per_annotator()
    {
        var (project, items) = await fixture.ArrangeProjectAsync([.. Enumerable.Range(0, 7).Select(i => $"headline {i}")]);
        // Four items labeled by both (they agree on three), one by alice alone, two unlabeled.
        string[] alice = ["legit", "clickbait", "legit", "legit", "legit"];
        string[] bob = ["legit", "clickbait", "clickbait", "legit"];
        for (var i = 0; i < alice.Length; i++)
        {
            await fixture.InsertLabelAsync(project, items[i], "alice", alice[i], timeSpentMs: 1000 * (i + 1));
        }

        for (var i = 0; i < bob.Length; i++)
        {
            await fixture.InsertLabelAsync(project, items[i], "bob", bob[i], timeSpentMs: 100 * (i + 1), ago: TimeSpan.FromHours(3));
        }

        var dashboard = await fixture.DashboardAsync(project, fixture.Bob);

        // By hand. Pair: 3 of 4 agree; alice 3 legit / 1 clickbait, bob 2 / 2; chance 3/4·2/4 + 1/4·2/4 = 1/2;
        // kappa (0.75 − 0.5) / (1 − 0.5) = 0.5. Pooled over the 8 labels: 5 legit, 3 clickbait; chance
        // (5/8)² + (3/8)² = 34/64; Fleiss (0.75 − 34/64) / (1 − 34/64) = 7/15.
        var agreement = dashboard.GetProperty("agreement");
        Assert.Equal((4, 8), (agreement.GetProperty("items").GetInt32(), agreement.GetProperty("labels").GetInt32()));
        Assert.Equal(0.75, agreement.GetProperty("percentAgreement").GetDouble(), Tolerance);
        Assert.Equal(7.0 / 15, agreement.GetProperty("fleissKappa").GetDouble(), Tolerance);
        var pair = Assert.Single(agreement.GetProperty("pairs").EnumerateArray());
        Assert.Equal(("alice", "bob", 4), (pair.GetProperty("annotatorA").GetString(), pair.GetProperty("annotatorB").GetString(), pair.GetProperty("items").GetInt32()));
        Assert.Equal(0.75, pair.GetProperty("percentAgreement").GetDouble(), Tolerance);
        Assert.Equal(0.5, pair.GetProperty("cohensKappa").GetDouble(), Tolerance);

        var annotators = dashboard.GetProperty("annotators").EnumerateArray()
            .Select(a => (a.GetProperty("annotator").GetString(), a.GetProperty("labels").GetInt64(), a.GetProperty("medianTimeSpentMs").GetDouble())).ToList();
        Assert.Equal([("alice", 5L, 3000.0), ("bob", 4L, 250.0)], annotators);
        var hours = dashboard.GetProperty("labelsPerHour").EnumerateArray().ToList();
        Assert.Equal(48, hours.Count);
        Assert.Equal(9, hours.Sum(h => h.GetProperty("labels").GetInt64()));
        Assert.Equal(2, dashboard.GetProperty("queue").GetProperty("unlabeled").GetInt64());
    }

    [Fact]
    public async Task Should_list_the_metric_history_in_version_order_and_return_the_stored_baseline()
    {
        var (project, _) = await fixture.ArrangeProjectAsync(["a"]);
        var model = Models.Value.Small;
        await fixture.InsertModelAsync(project, 2, 150, 0, """{"accuracy":0.8,"macroF1":0.75,"auc":0.9,"logLoss":0.4,"method":"cv-5"}""", model);
        await fixture.InsertModelAsync(project, 1, 100, 0, """{"accuracy":0.7,"macroF1":0.65,"auc":0.8,"logLoss":0.5,"method":"cv-5"}""", model);
        await fixture.InsertModelAsync(project, 3, 200, 0, """{"accuracy":0.85,"macroF1":0.8,"method":"cv-5"}""", model);
        object[] points = [new { labels = 100, accuracy = 0.6, macroF1 = 0.55, auc = 0.7 }, new { labels = 200, accuracy = 0.7, macroF1 = 0.65, auc = (double?)null }];

        using var stored = await fixture.SendAsync(HttpMethod.Put, $"/api/projects/{project}/baseline", fixture.Admin, new { source = "datasets/clickbait", points });
        using var byAnnotator = await fixture.SendAsync(HttpMethod.Put, $"/api/projects/{project}/baseline", fixture.Alice, new { source = "x", points });
        using var decreasing = await fixture.SendAsync(HttpMethod.Put, $"/api/projects/{project}/baseline", fixture.Admin, new { source = "x", points = points.Reverse() });
        var dashboard = await fixture.DashboardAsync(project, fixture.Alice);

        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byAnnotator.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, decreasing.StatusCode);
        Assert.Contains("points[1].labels", await decreasing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var history = dashboard.GetProperty("metrics").EnumerateArray()
            .Select(m => (m.GetProperty("version").GetInt32(), m.GetProperty("labels").GetInt32(), m.GetProperty("accuracy").GetDouble(), m.GetProperty("auc").ValueKind)).ToList();
        Assert.Equal([(1, 100, 0.7, JsonValueKind.Number), (2, 150, 0.8, JsonValueKind.Number), (3, 200, 0.85, JsonValueKind.Null)], history);
        var baseline = dashboard.GetProperty("baseline");
        Assert.Equal("datasets/clickbait", baseline.GetProperty("source").GetString());
        Assert.Equal([100, 200], baseline.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("labels").GetInt32()));
        Assert.Equal(JsonValueKind.Null, baseline.GetProperty("points")[1].GetProperty("auc").ValueKind);
    }

    [Fact]
    public async Task Alp_project_baseline_should_store_the_random_curve_alp_simulate_wrote()
    {
        var (project, _) = await fixture.ArrangeProjectAsync(["a"]);
        var folder = Directory.CreateTempSubdirectory("alp-baseline-");
        try
        {
            await ProcessRunner.RunAsync("dotnet", [
                TestEnvironment.AlpDll, "simulate", Path.Combine(TestEnvironment.RepoRoot, "datasets", "youtube-spam"), "--text", "CONTENT", "--label", "label",
                "--strategy", "entropy", "--batch", "20", "--budget", "80", "--repeats", "1", "--out", folder.FullName]);

            var output = await ProcessRunner.RunAsync("dotnet", [
                TestEnvironment.AlpDll, "project", "baseline", "--project", project.ToString(), "--from", folder.FullName,
                "--token", fixture.Admin, "--labeling-url", fixture.Labeling.BaseAddress.ToString()]);
            var dashboard = await fixture.DashboardAsync(project, fixture.Alice);

            using var curves = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder.FullName, "curves.json")));
            var random = curves.RootElement.GetProperty("strategies").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "random");
            var expected = random.GetProperty("points").EnumerateArray().Select(p => (p.GetProperty("labels").GetInt32(), p.GetProperty("accuracyMean").GetDouble())).ToList();
            var stored = dashboard.GetProperty("baseline").GetProperty("points").EnumerateArray().Select(p => (p.GetProperty("labels").GetInt32(), p.GetProperty("accuracy").GetDouble())).ToList();
            Assert.True(expected.Count >= 2, $"{expected.Count} points");
            Assert.Equal(expected, stored);
            Assert.Contains($"stored {expected.Count} points", output, StringComparison.Ordinal);
            Assert.Contains("youtube-spam", dashboard.GetProperty("baseline").GetProperty("source").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Should_report_the_stopping_signal_as_the_agreement_of_the_last_two_models_on_the_unlabeled_pool()
    {
        var pool = YouTubeSpam.Load(500).Skip(200).Select(c => c.Text).ToList();
        var (project, _) = await fixture.ArrangeProjectAsync(pool);
        await fixture.InsertModelAsync(project, 1, 40, 0, "{}", Models.Value.Small);
        await fixture.InsertModelAsync(project, 2, 200, 0, "{}", Models.Value.Large);

        var stopping = (await fixture.DashboardAsync(project, fixture.Alice)).GetProperty("stopping");

        // The same comparison done here: both models' predicted classes on the whole (300-item) pool.
        var small = ProjectModel.Deserialize(Models.Value.Small);
        var large = ProjectModel.Deserialize(Models.Value.Large);
        var a = Predict(small, pool).Select(c => c == small.Classes[0] ? 0 : 1).ToArray();
        var b = Predict(large, pool).Select(c => c == small.Classes[0] ? 0 : 1).ToArray();
        var kappa = StoppingMonitor.CohensKappa(a, b);
        Assert.InRange(kappa, 0.01, 0.99);
        Assert.Equal(300, stopping.GetProperty("stopSetItems").GetInt32());
        Assert.Equal(2, stopping.GetProperty("newestVersion").GetInt32());
        Assert.Equal(kappa, stopping.GetProperty("lastKappa").GetDouble(), 1e-6);
        Assert.Equal(a.Zip(b).Count(p => p.First == p.Second) / 300.0, stopping.GetProperty("lastPercentAgreement").GetDouble(), Tolerance);
        Assert.False(stopping.GetProperty("shouldStop").GetBoolean());
        var pair = Assert.Single(stopping.GetProperty("pairs").EnumerateArray());
        Assert.Equal((1, 2), (pair.GetProperty("from").GetInt32(), pair.GetProperty("to").GetInt32()));
    }

    [Fact]
    public async Task Should_show_queue_depth_model_freshness_and_a_running_training()
    {
        var (project, items) = await fixture.ArrangeProjectAsync(["a", "b", "c", "d"]);
        var first = await fixture.InsertLabelAsync(project, items[3], "alice", "legit");
        await fixture.InsertModelAsync(project, 1, 1, first, "{}", Models.Value.Small, ago: TimeSpan.FromMinutes(10));
        await fixture.InsertLabelAsync(project, items[0], "bob", "legit");
        await using var connection = await fixture.Database.OpenConnectionAsync();
        await using (var arrange = new NpgsqlCommand(
            """
            INSERT INTO query_sessions (project_id, session_id, model_version, strategy, query_count, created_at) VALUES (@p, 1, 1, 'least_confidence', 3, now());
            INSERT INTO queries (project_id, session_id, rank, item_id, score) VALUES (@p, 1, 1, @a, 1), (@p, 1, 2, @b, 0.5), (@p, 1, 3, @c, 0.2);
            INSERT INTO item_leases (item_id, project_id, annotator, session_id, leased_at, expires_at) VALUES (@b, @p, 'alice', 1, now(), now() + interval '5 minutes');
            """, connection))
        {
            arrange.Parameters.AddWithValue("p", project);
            arrange.Parameters.AddWithValue("a", items[0]);
            arrange.Parameters.AddWithValue("b", items[1]);
            arrange.Parameters.AddWithValue("c", items[2]);
            await arrange.ExecuteNonQueryAsync();
        }

        var idle = await fixture.DashboardAsync(project, fixture.Alice);
        // The Trainer's lock, taken the way the Trainer takes it.
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended('train:' || @p::text, 0))", connection))
        {
            take.Parameters.AddWithValue("p", project);
            await take.ExecuteNonQueryAsync();
        }

        var training = await fixture.DashboardAsync(project, fixture.Alice);

        var queue = idle.GetProperty("queue");
        Assert.Equal((2L, 1L, 1L), (queue.GetProperty("unlabeled").GetInt64(), queue.GetProperty("sessionRemaining").GetInt64(), queue.GetProperty("activeLeases").GetInt64()));
        var freshness = idle.GetProperty("freshness");
        Assert.Equal(1, freshness.GetProperty("rankingModelVersion").GetInt32());
        Assert.Equal(1, freshness.GetProperty("labelsSinceModel").GetInt64());
        Assert.InRange(freshness.GetProperty("secondsSinceModel").GetInt64(), 600, 3600);
        Assert.False(freshness.GetProperty("trainingRunning").GetBoolean());
        Assert.True(training.GetProperty("freshness").GetProperty("trainingRunning").GetBoolean());
        Assert.Equal(1, idle.GetProperty("currentSession").GetProperty("sessionId").GetInt32());
    }

    [Fact]
    public async Task Should_answer_404_to_a_non_member()
    {
        var (project, _) = await fixture.ArrangeProjectAsync(["a"]);

        using var response = await fixture.SendAsync(HttpMethod.Get, $"/api/projects/{project}/dashboard", fixture.Carol);
        using var baseline = await fixture.SendAsync(HttpMethod.Put, $"/api/projects/{Guid.NewGuid()}/baseline", fixture.Admin, new { source = "x", points = new[] { new { labels = 1 } } });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, baseline.StatusCode);
    }

    private static IEnumerable<string> Predict(ProjectModel model, List<string> texts)
    {
        var probabilities = model.PredictProba(ItemTable.FromTexts(texts));
        var classes = model.Classes.Count;
        for (var i = 0; i < texts.Count; i++)
        {
            var row = probabilities.AsSpan(i * classes, classes);
            yield return model.Classes[row.IndexOf(row.ToArray().Max())];
        }
    }

    /// <summary>Two models of the YouTube spam comments: one on 40 comments, one on 200, so they disagree on some of the pool.</summary>
    private static readonly Lazy<(byte[] Small, byte[] Large)> Models = new(() =>
    {
        var comments = YouTubeSpam.Load(200);
        byte[] Train(int count) => ProjectModel.TrainText([.. comments.Take(count).Select(c => c.Text)], [.. comments.Take(count).Select(c => c.Label)]).Serialize();
        return (Train(40), Train(200));
    });
}
