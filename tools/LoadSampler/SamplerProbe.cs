using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using ActiveLabel.Contracts;
using MassTransit;
using Npgsql;

namespace ActiveLabel.LoadSampler;

/// <summary>
/// The measured run against a running Trainer and QuerySampler: creates a project, COPYs the pool, labels the seeds
/// (the Trainer's sweep then trains v1, whose ranking is the cold one: an empty cache), then for each strategy stores a
/// copy of the model as the next version and publishes its <see cref="ModelTrained"/>, then adds new items and ranks
/// once more. Each latency runs from the model's stored time (model_versions.created_at, which is also the event's
/// OccurredAt) to the moment this process consumed the matching <see cref="QueriesReady"/> from RabbitMQ; the
/// breakdown comes from the QuerySampler's log line for that session.
/// </summary>
internal static class SamplerProbe
{
    private static readonly string[] DefaultStrategies =
    [
        "least_confidence", "least_confidence", "least_confidence", "smallest_margin", "entropy", "random", "diversity",
        "density_weighted", "committee_vote_entropy", "committee_kl",
    ];

    public static async Task<int> RunAsync(Arguments args)
    {
        var kind = args.Required("kind");
        var items = args.Int("items", 1_000_000);
        var log = args.Required("log");
        var pid = args.Int("pid", 0);
        var strategies = args.Get("strategies", string.Join(',', DefaultStrategies)).Split(',', StringSplitOptions.RemoveEmptyEntries);
        var added = args.Int("add", Math.Max(1, items / 100));
        var timeout = TimeSpan.FromSeconds(args.Int("timeout-seconds", 600));

        var ready = Channel.CreateUnbounded<(QueriesReady Message, DateTimeOffset ReceivedAt)>();
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(Env("RabbitMq__Host", "localhost"), ushort.Parse(Env("RabbitMq__Port", "5672"), CultureInfo.InvariantCulture), Env("RabbitMq__VirtualHost", "/"), host =>
            {
                host.Username(Env("RabbitMq__Username", "guest"));
                host.Password(Env("RabbitMq__Password", "guest"));
            });
            rabbit.ReceiveEndpoint("load-sampler-queries-ready", endpoint =>
            {
                endpoint.AutoDelete = true;
                endpoint.Durable = false;
                endpoint.Handler<QueriesReady>(context => ready.Writer.WriteAsync((context.Message, DateTimeOffset.UtcNow)).AsTask());
            });
        });
        await bus.StartAsync();
        try
        {
            await using var connection = new NpgsqlConnection(Arguments.ConnectionString);
            await connection.OpenAsync();
            var seeder = new PoolSeeder(kind);
            var project = await seeder.CreateProjectAsync(connection, strategies[0]);
            var clock = Stopwatch.StartNew();
            await seeder.AppendAsync(connection, project, 0, items);
            Console.Error.WriteLine($"load-sampler: {items:N0} {kind} items written and vacuumed in {clock.Elapsed.TotalSeconds:0.0} s; project {project}");
            await seeder.LabelSeedsAsync(connection, project);

            var results = new List<Result>();
            // v1: trained by the Trainer once it sees the seeds; the QuerySampler's cache is empty.
            results.Add(await AwaitSessionAsync(connection, ready.Reader, project, 1, strategies[0], "cold (Trainer's model, empty cache)", timeout));
            var version = 1;
            foreach (var strategy in strategies)
            {
                version++;
                await PublishCopyAsync(connection, bus, project, version, strategy);
                results.Add(await AwaitSessionAsync(connection, ready.Reader, project, version, strategy, "warm", timeout));
            }

            await seeder.AppendAsync(connection, project, items, added);
            version++;
            await PublishCopyAsync(connection, bus, project, version, strategies[0]);
            results.Add(await AwaitSessionAsync(connection, ready.Reader, project, version, strategies[0], $"+{added:N0} new items", timeout));

            var sessions = ReadSessionLog(log, project);
            Print(kind, items, results, sessions, pid);
            Console.WriteLine($"project {project}");
            return 0;
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;

    /// <summary>Stores a copy of v1 as <paramref name="version"/> with the strategy set, as the Trainer stores a model, and announces it.</summary>
    private static async Task PublishCopyAsync(NpgsqlConnection connection, IBus bus, Guid project, int version, string strategy)
    {
        await using var command = new NpgsqlCommand(
            """
            UPDATE projects SET query_strategy = @strategy WHERE id = @p;
            INSERT INTO model_versions (project_id, version, trained_on_labels, last_label_id, metrics, model, training_duration_ms, created_at)
            SELECT project_id, @v, trained_on_labels, last_label_id, metrics, model, training_duration_ms, @at FROM model_versions WHERE project_id = @p AND version = 1
            RETURNING trained_on_labels, last_label_id
            """, connection);
        var at = DateTimeOffset.UtcNow;
        command.Parameters.AddWithValue("p", project);
        command.Parameters.AddWithValue("v", version);
        command.Parameters.AddWithValue("strategy", strategy);
        command.Parameters.AddWithValue("at", at);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (labels, lastLabel) = (reader.GetInt32(0), reader.GetInt64(1));
        await reader.DisposeAsync();
        await bus.Publish(new ModelTrained(project, version, labels, lastLabel, new ModelMetrics(null, null, null, null, "copy of v1 (load-sampler)"), 1, at));
    }

    private static async Task<Result> AwaitSessionAsync(
        NpgsqlConnection connection, ChannelReader<(QueriesReady Message, DateTimeOffset ReceivedAt)> ready, Guid project, int version, string strategy, string note, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var (message, receivedAt) = await ready.ReadAsync(deadline.Token);
            if (message.ProjectId != project || message.ModelVersion != version)
            {
                continue;
            }

            await using var command = new NpgsqlCommand("SELECT created_at FROM model_versions WHERE project_id = @p AND version = @v", connection);
            command.Parameters.AddWithValue("p", project);
            command.Parameters.AddWithValue("v", version);
            var storedAt = (DateTime)(await command.ExecuteScalarAsync())!;
            var seconds = (receivedAt - new DateTimeOffset(storedAt, TimeSpan.Zero)).TotalSeconds;
            Console.Error.WriteLine($"load-sampler: v{version} {message.Strategy}: {seconds:0.000} s ({note})");
            return new Result(version, message.Strategy, note, seconds, message.SessionId);
        }
    }

    /// <summary>The QuerySampler's "Session … of …" log lines for the project, by model version (JSON console format).</summary>
    private static Dictionary<int, JsonElement> ReadSessionLog(string path, Guid project)
    {
        var sessions = new Dictionary<int, JsonElement>();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (!line.Contains("\"SessionId\"", StringComparison.Ordinal) || !line.Contains(project.ToString(), StringComparison.Ordinal))
            {
                continue;
            }

            var state = JsonDocument.Parse(line).RootElement.GetProperty("State");
            if (state.TryGetProperty("ElapsedMs", out _))
            {
                sessions[int.Parse(Text(state, "Version"), CultureInfo.InvariantCulture)] = state.Clone();
            }
        }

        return sessions;
    }

    private static string Text(JsonElement state, string name) =>
        state.TryGetProperty(name, out var value) ? (value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()) : "?";

    private static string Ms(JsonElement state, string name) =>
        double.TryParse(Text(state, name), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) ? ms.ToString("0", CultureInfo.InvariantCulture) : "?";

    private static void Print(string kind, int items, List<Result> results, Dictionary<int, JsonElement> sessions, int pid)
    {
        Console.WriteLine();
        Console.WriteLine($"{kind} pool of {items:N0} items; seconds from ModelTrained (model stored) to QueriesReady (consumed by this listener)");
        Console.WriteLine($"{"version",7} {"strategy",-23} {"seconds",8} {"service",8} {"cpu",6} {"deliver",8} {"model",6} {"list",6} {"load",6} {"new",8} {"featur.",8} {"score",6} {"write",6} {"ranked",9} {"cache MB",8}  run");
        foreach (var r in results)
        {
            var s = sessions.GetValueOrDefault(r.Version);
            var has = s.ValueKind == JsonValueKind.Object;
            string F(string name) => has ? Ms(s, name) : "?";
            Console.WriteLine(
                $"{r.Version,7} {r.Strategy,-23} {r.Seconds,8:0.000} {F("ElapsedMs"),8} {F("CpuMs"),6} {F("DeliveryMs"),8} {F("ModelMs"),6} {F("ListMs"),6} {F("LoadMs"),6} {(has ? Text(s, "LoadedItems") : "?"),8} " +
                $"{F("FeaturizeMs"),8} {F("ScoreMs"),6} {F("WriteMs"),6} {(has ? Text(s, "Pool") : "?"),9} {F("CachedMegabytes"),8}  {r.Note}");
        }

        Console.WriteLine("(ms from the QuerySampler's log: service = consumer start → commit, cpu = the process's CPU time meanwhile (both cores), deliver = model stored →");
        Console.WriteLine(" consumer start; new = items read and encoded in that session; model = lock, inbox, model read and deserialized)");
        if (pid > 0 && File.Exists($"/proc/{pid}/status"))
        {
            var status = File.ReadAllLines($"/proc/{pid}/status").ToDictionary(l => l.Split(':')[0], l => l.Split(':', 2)[1].Trim());
            Console.WriteLine($"QuerySampler memory: RSS {status.GetValueOrDefault("VmRSS")}, peak RSS {status.GetValueOrDefault("VmHWM")}");
        }
    }

    private sealed record Result(int Version, string Strategy, string Note, double Seconds, int SessionId);
}
