using ActiveLabel.IntegrationTests.Infrastructure;

namespace ActiveLabel.IntegrationTests.EndToEnd;

/// <summary>
/// The whole platform as a user runs it: the four services as separate processes on a fresh database and virtual
/// host, driven only through the alp command line, the HTTP API and gRPC. The loop runs once (it takes about a
/// minute); the tests then check different promises about what it left behind.
/// </summary>
public sealed class ActiveLearningLoopFixture : IAsyncLifetime
{
    public const int RetrainEvery = 50;
    public const int SeedLabels = 100;
    public const int Annotators = 20;
    public const int Budget = 500;
    public const int MaxLeasesPerAnnotator = 3;

    private static readonly string[] Services = ["Ingestion", "Labeling", "Trainer", "QuerySampler"];
    private readonly List<ServiceProcess> _services = [];

    internal TestDatabase Database { get; private set; } = null!;
    internal TestVirtualHost VirtualHost { get; private set; } = null!;
    internal Uri GrpcAddress { get; private set; } = null!;
    internal string AdminToken { get; private set; } = null!;
    internal Guid ProjectId { get; private set; }
    internal string AnnotateSummaryJson { get; private set; } = null!;
    internal string ImportOutput { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateMigratedAsync();
        VirtualHost = await TestVirtualHost.CreateAsync();
        AdminToken = await Database.CreateUserWithTokenAsync("lead", "admin");
        GrpcAddress = new Uri($"http://127.0.0.1:{ServiceProcess.FreePort()}");
        var environment = new Dictionary<string, string>
        {
            // Short enough that the last few labels reach a model within the test, as a pause would in real use.
            ["Trainer__IdleFlushSeconds"] = "3",
            ["Trainer__SweepSeconds"] = "2",
            ["Labeling__MaxLeasesPerAnnotator"] = MaxLeasesPerAnnotator.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Scorer__Address"] = GrpcAddress.ToString(),
        };
        var starting = Services.Select(s => ServiceProcess.StartAsync(
            s,
            Database.ConnectionString,
            VirtualHost.Name,
            environment: s == "QuerySampler" ? new Dictionary<string, string>(environment) { ["Kestrel__Endpoints__Grpc__Url"] = GrpcAddress.ToString() } : environment));
        _services.AddRange(await Task.WhenAll(starting));

        var project = await AlpAsync(
            "project", "create", "--name", "clickbait", "--task", "text", "--labels", "clickbait_data:c,non_clickbait_data:n",
            "--retrain-every", $"{RetrainEvery}", "--batch-size", "2000");
        ProjectId = Guid.Parse(project.Trim());
        ImportOutput = await AlpAsync("import", Dataset, "--project", $"{ProjectId}", "--seed", $"{SeedLabels}");

        // The first model (from the seed labels) and its session exist before anyone labels, as in the Dataiku flow.
        await Wait.UntilAsync(async () => await ScalarAsync("SELECT count(*) FROM query_sessions WHERE project_id = @p") >= 1, TimeSpan.FromSeconds(90), "the first query session");

        // Paced like people (2 labels/s each, 40/s in all): as fast as the API answers, the 500 labels would arrive
        // within a few trainings and coalesce into too few models to show a retrain every N labels.
        var summaryFile = Path.GetTempFileName();
        await AlpAsync(
            "annotate", "--project", $"{ProjectId}", "--oracle", Dataset, "--annotators", $"{Annotators}", "--budget", $"{Budget}", "--rate", "2",
            "--json", summaryFile);
        AnnotateSummaryJson = await File.ReadAllTextAsync(summaryFile);
        File.Delete(summaryFile);

        // Once annotators stop, the idle flush trains on whatever is left, then the sampler ranks with that model.
        await Wait.UntilAsync(
            async () => await ScalarAsync("""
                SELECT count(*) FROM model_versions m JOIN query_sessions s ON s.project_id = m.project_id AND s.model_version = m.version
                WHERE m.project_id = @p AND m.trained_on_labels = (SELECT count(*) FROM items WHERE project_id = @p AND is_labeled)
                """) == 1,
            TimeSpan.FromSeconds(90),
            "a model trained on every label, and its query session");
    }

    public async Task DisposeAsync()
    {
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }

        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }

    internal static string Dataset => Path.Combine(TestEnvironment.RepoRoot, "datasets", "clickbait");

    internal ServiceProcess Service(string name) => _services.Single(s => s.Service == name);

    internal async Task<long> ScalarAsync(string sql)
    {
        await using var connection = await Database.OpenConnectionAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("p", ProjectId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private Task<string> AlpAsync(params string[] arguments) => ProcessRunner.RunAsync(
        "dotnet",
        [
            TestEnvironment.AlpDll, .. arguments, "--token", AdminToken,
            "--ingestion-url", Service("Ingestion").BaseAddress.ToString(), "--labeling-url", Service("Labeling").BaseAddress.ToString(),
        ]);

}
