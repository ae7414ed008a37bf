using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ActiveLabel.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace ActiveLabel.IntegrationTests.Training;

/// <summary>
/// Two Trainer processes on one database and RabbitMQ virtual host, with labels arriving through the real Labeling
/// API: no two trainings of a project overlap in time, every retrain trigger ends in a model, and both replicas train.
/// The Trainers' periodic sweep and idle flush are off, so a trigger that the locking drops is not made good by them.
/// </summary>
public sealed class TrainerReplicasTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int RetrainEvery = 5;
    private const int ItemsPerProject = 300;
    private const int Projects = 2;
    private const string LabelAddedQueue = "trainer-label-added";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static readonly string[] Annotators = ["ann1", "ann2"];

    private readonly Dictionary<string, string> _tokens = [];

    // The machine is shared with other builds and tests: a label may wait longer than ServiceProcess.Http's 10 s.
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly List<ProjectItems> _projects = [];
    private TestDatabase _database = null!;
    private TestVirtualHost _virtualHost = null!;
    private ServiceProcess _labeling = null!;
    private ServiceProcess _trainerA = null!;
    private ServiceProcess _trainerB = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateMigratedAsync();
        _virtualHost = await TestVirtualHost.CreateAsync();
        foreach (var annotator in Annotators)
        {
            _tokens[annotator] = await _database.CreateUserWithTokenAsync(annotator, "annotator");
        }

        var trainerSettings = new Dictionary<string, string> { ["Trainer__SweepSeconds"] = "3600", ["Trainer__IdleFlushSeconds"] = "0" };
        var labeling = ServiceProcess.StartAsync("Labeling", _database.ConnectionString, _virtualHost.Name, environment: new Dictionary<string, string>
        {
            // The test drives labels as fast as it can; the per-user limit is not its subject.
            ["RateLimits__PerUser__PerSecond"] = "10000",
            ["RateLimits__PerUser__Burst"] = "10000",
        });
        var trainerA = ServiceProcess.StartAsync("Trainer", _database.ConnectionString, _virtualHost.Name, environment: trainerSettings);
        var trainerB = ServiceProcess.StartAsync("Trainer", _database.ConnectionString, _virtualHost.Name, environment: trainerSettings);
        (_labeling, _trainerA, _trainerB) = (await labeling, await trainerA, await trainerB);

        await using var connection = await _database.OpenConnectionAsync();
        for (var p = 0; p < Projects; p++)
        {
            _projects.Add(await ArrangeProjectAsync(connection, $"replicas-{p}"));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var service in new[] { _labeling, _trainerA, _trainerB })
        {
            if (service is not null)
            {
                await service.DisposeAsync();
            }
        }

        await _virtualHost.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Two_replicas_should_never_train_a_project_concurrently_nor_leave_a_trigger_untrained()
    {
        await using var connection = await _database.OpenConnectionAsync();
        var replicaA = ReplicaName(_trainerA);
        var replicaB = ReplicaName(_trainerB);
        var clock = Stopwatch.StartNew();

        // Each replica alone for a while (the other frozen, as a stalled pod: its prefetched events wait), so both
        // are sure to train; a replica frozen while holding a project's lock also makes the other one find it taken.
        await _trainerB.PauseAsync();
        await DriveLabelsAsync(perProject: 20);
        await Wait.UntilAsync(async () => (await ModelsAsync(connection)).Where(m => m.TrainedBy == replicaA).Select(m => m.Project).Distinct().Count() == Projects,
            Timeout, "replica A to train every project while B is frozen");
        await _trainerB.ResumeAsync();
        await _trainerA.PauseAsync();
        await DriveLabelsAsync(perProject: 20);
        await Wait.UntilAsync(async () => (await ModelsAsync(connection)).Any(m => m.TrainedBy == replicaB),
            Timeout, "replica B to train while A is frozen");
        await _trainerA.ResumeAsync();

        // Both replicas compete for every trigger.
        await DriveLabelsAsync(perProject: 100);
        await WaitUntilSettledAsync(connection);

        // Top each project up to exactly one more trigger: the model it makes must hold every label.
        foreach (var project in _projects)
        {
            await DriveLabelsAsync(RetrainEvery - (int)await PendingAsync(connection, project.Id), [project]);
        }

        await WaitUntilSettledAsync(connection);
        await Wait.UntilAsync(async () => await AllLabelsInNewestModelsAsync(connection), Timeout, "the newest model of every project to hold all its labels");

        var models = await ModelsAsync(connection);
        foreach (var project in _projects)
        {
            var history = models.Where(m => m.Project == project.Id).OrderBy(m => m.Version).ToList();
            output.WriteLine($"project {project.Id}: {project.Labeled} labels, {history.Count} models, " +
                $"A {history.Count(m => m.TrainedBy == replicaA)}, B {history.Count(m => m.TrainedBy == replicaB)}; " +
                string.Join(' ', history.Select(m => $"v{m.Version}:{m.LabelsSeen}{(m.TrainedBy == replicaA ? "A" : "B")}")));
            Assert.Equal(Enumerable.Range(1, history.Count), history.Select(m => m.Version));
            for (var i = 1; i < history.Count; i++)
            {
                var (previous, next) = (history[i - 1], history[i]);
                Assert.True(next.StartedAt >= previous.EndedAt,
                    $"v{next.Version} ({next.TrainedBy}) started at {next.StartedAt:O}, before v{previous.Version} ({previous.TrainedBy}) ended at {previous.EndedAt:O}");
                Assert.True(next.LabelsSeen - previous.LabelsSeen >= RetrainEvery,
                    $"v{next.Version} was trained on {next.LabelsSeen - previous.LabelsSeen} labels more than v{previous.Version}, fewer than the trigger's {RetrainEvery}");
            }

            Assert.Equal(project.Labeled, history[^1].LabelsSeen);
        }

        Assert.All(models, m => Assert.Contains(m.TrainedBy, new[] { replicaA, replicaB }));
        Assert.Contains(models, m => m.TrainedBy == replicaA);
        Assert.Contains(models, m => m.TrainedBy == replicaB);
        Assert.Equal(0, await _virtualHost.QueueDepthAsync(LabelAddedQueue + "_error"));
        output.WriteLine($"{models.Count} models in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static string ReplicaName(ServiceProcess trainer) => $"{Environment.MachineName}/{trainer.ProcessId}";

    /// <summary>
    /// Settled: every LabelAdded consumed, no training running, and no project with a trigger's worth of labels
    /// outside its newest model. A dropped trigger keeps the last condition false, and this times out.
    /// </summary>
    private async Task WaitUntilSettledAsync(NpgsqlConnection connection)
    {
        await Wait.UntilAsync(async () =>
        {
            if (await _virtualHost.QueueDepthAsync(LabelAddedQueue) != 0 || await TrainLocksAsync(connection) != 0)
            {
                return false;
            }

            foreach (var project in _projects)
            {
                if (await PendingAsync(connection, project.Id) >= RetrainEvery)
                {
                    return false;
                }
            }

            return true;
        }, Timeout, $"every project to have fewer than {RetrainEvery} labels outside its newest model, with no training running");
    }

    /// <summary>Labels the next <paramref name="perProject"/> items of each project through the Labeling API, several at once.</summary>
    private async Task DriveLabelsAsync(int perProject, IEnumerable<ProjectItems>? projects = null)
    {
        var work = new List<(ProjectItems Project, long Item, string Label)>();
        foreach (var project in projects ?? _projects)
        {
            for (var i = 0; i < perProject; i++)
            {
                var (item, label) = project.Items[project.Labeled++];
                work.Add((project, item, label));
            }
        }

        await Parallel.ForEachAsync(work.Select((w, i) => (w, i)), new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (entry, cancellationToken) =>
        {
            var (w, i) = entry;
            var annotator = Annotators[i % Annotators.Length];
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_labeling.BaseAddress, $"/api/projects/{w.Project.Id}/items/{w.Item}/labels"))
            {
                Content = JsonContent.Create(new { requestId = Guid.NewGuid(), label = w.Label }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _tokens[annotator]);
            using var response = await Http.SendAsync(request, cancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"label of item {w.Item}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        });
    }

    /// <summary>A text project with two labels, both annotators as members, and items whose text tells their label.</summary>
    private static async Task<ProjectItems> ArrangeProjectAsync(NpgsqlConnection connection, string name)
    {
        var project = await TestData.InsertProjectAsync(connection, name);
        foreach (var annotator in Annotators)
        {
            await TestData.AddMemberAsync(connection, project, annotator);
        }

        await using var command = new NpgsqlCommand(
            """
            UPDATE projects SET retrain_every = @every WHERE id = @p;
            INSERT INTO items (project_id, external_id, content_hash, payload, is_labeled, created_at)
            SELECT @p, 'item-' || g, sha256(convert_to(@p::text || g, 'UTF8')),
                   jsonb_build_object('text', CASE WHEN g % 2 = 0 THEN 'you will not believe trick number ' || g ELSE 'council approves budget line ' || g END),
                   false, now()
            FROM generate_series(1, @n) g
            ORDER BY g
            RETURNING id, external_id
            """, connection);
        command.Parameters.AddWithValue("p", project);
        command.Parameters.AddWithValue("every", RetrainEvery);
        command.Parameters.AddWithValue("n", ItemsPerProject);
        var items = new List<(long, string)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var number = int.Parse(reader.GetString(1)["item-".Length..], CultureInfo.InvariantCulture);
                items.Add((reader.GetInt64(0), number % 2 == 0 ? "clickbait" : "legit"));
            }
        }

        return new ProjectItems(project, [.. items.OrderBy(i => i.Item1)]);
    }

    private static async Task<long> PendingAsync(NpgsqlConnection connection, Guid project)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT (SELECT count(*) FROM labels WHERE project_id = @p)
                 - coalesce((SELECT labels_seen FROM model_versions WHERE project_id = @p ORDER BY version DESC LIMIT 1), 0)
            """, connection);
        command.Parameters.AddWithValue("p", project);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<bool> AllLabelsInNewestModelsAsync(NpgsqlConnection connection)
    {
        foreach (var project in _projects)
        {
            await using var command = new NpgsqlCommand(
                """
                SELECT m.labels_seen = (SELECT count(*) FROM labels WHERE project_id = @p)
                       AND m.last_label_id = (SELECT max(id) FROM labels WHERE project_id = @p)
                FROM model_versions m WHERE m.project_id = @p ORDER BY m.version DESC LIMIT 1
                """, connection);
            command.Parameters.AddWithValue("p", project.Id);
            if (await command.ExecuteScalarAsync() is not true)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Advisory locks held in this test's database: a training in progress.</summary>
    private static async Task<long> TrainLocksAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()",
            connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<TrainedModel>> ModelsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT project_id, version, labels_seen, training_started_at, created_at, trained_by FROM model_versions ORDER BY project_id, version", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var models = new List<TrainedModel>();
        while (await reader.ReadAsync())
        {
            models.Add(new TrainedModel(
                reader.GetGuid(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5)));
        }

        return models;
    }

    private sealed class ProjectItems(Guid id, List<(long Item, string Label)> items)
    {
        public Guid Id { get; } = id;
        public List<(long Item, string Label)> Items { get; } = items;

        /// <summary>Items labeled so far (the first ones of <see cref="Items"/>).</summary>
        public int Labeled { get; set; }
    }

    private sealed record TrainedModel(Guid Project, int Version, long LabelsSeen, DateTimeOffset StartedAt, DateTimeOffset EndedAt, string TrainedBy);
}
