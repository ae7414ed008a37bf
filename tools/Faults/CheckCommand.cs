using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Npgsql;
using RabbitMQ.Client;

namespace ActiveLabel.Faults;

/// <summary>
/// <c>alp-faults check</c>: waits until the platform is quiet (outbox drained, work queues empty, every project's
/// newest model trained on every label and ranked with), then checks what the faults must not have broken and prints
/// the table. Exit code 0 only when every check passed. Servers come from the services' own variables
/// (<c>ConnectionStrings__Platform</c>, <c>RabbitMq__*</c>).
/// </summary>
internal static class CheckCommand
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var acks = new Option<string>("--acks") { Description = "The acknowledged labels alp annotate --acks wrote.", Required = true };
        var faults = new Option<string[]>("--fault") { Description = "A fault that was injected (repeat the option for each).", AllowMultipleArgumentsPerToken = false };
        var queues = new Option<string[]>("--queue") { Description = "A work queue that must be empty before checking (repeatable)." };
        var errorQueues = new Option<string[]>("--error-queue") { Description = "An error queue whose messages are printed with their reason (repeatable)." };
        var wait = new Option<int>("--wait-seconds") { Description = "How long to wait for the platform to become quiet.", DefaultValueFactory = _ => 120 };
        var command = new Command("check", "Wait for quiescence, check labels, models, sessions and error queues, print the table.")
        {
            acks, faults, queues, errorQueues, wait,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var db = NpgsqlDataSource.Create(Required("ConnectionStrings__Platform"));
            await using var broker = new Broker(new ConnectionFactory
            {
                HostName = Environment.GetEnvironmentVariable("RabbitMq__Host") ?? "localhost",
                Port = int.Parse(Environment.GetEnvironmentVariable("RabbitMq__Port") ?? "5672", C),
                VirtualHost = Required("RabbitMq__VirtualHost"),
                UserName = Required("RabbitMq__Username"),
                Password = Required("RabbitMq__Password"),
            });
            var state = new PlatformState(db);
            var checks = new List<(string Name, bool Passed, string Detail)>();

            var quiet = await WaitForQuiescenceAsync(state, broker, parse.GetValue(queues) ?? [], TimeSpan.FromSeconds(parse.GetValue(wait)), cancellationToken);
            checks.Add(("platform quiet (outbox drained, queues empty, newest models caught up)", quiet.Passed, quiet.Detail));

            var acknowledged = Acknowledgements.Read(parse.GetRequiredValue(acks));
            var labels = await CheckLabelsAsync(state, acknowledged, checks, cancellationToken);
            await CheckModelsAsync(state, checks, cancellationToken);
            await CheckSessionsAsync(state, checks, cancellationToken);
            await CheckErrorQueuesAsync(broker, parse.GetValue(errorQueues) ?? [], checks, cancellationToken);

            Print(parse.GetValue(faults) ?? [], labels, checks);
            return checks.All(c => c.Passed) && labels.Lost == 0 && labels.Duplicates == 0 ? 0 : 1;
        });
        return command;
    }

    private static async Task<(bool Passed, string Detail)> WaitForQuiescenceAsync(
        PlatformState state, Broker broker, string[] queues, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var detail = "";
        while (true)
        {
            try
            {
                var outbox = await state.UndispatchedOutboxAsync(cancellationToken);
                var depths = new List<string>();
                foreach (var queue in queues)
                {
                    if (await broker.DepthAsync(queue, cancellationToken) is > 0 and var depth)
                    {
                        depths.Add($"{queue} {depth}");
                    }
                }

                var behind = (await state.ProjectsAsync(cancellationToken)).Where(p => !p.CaughtUp).ToList();
                detail = string.Join("; ", new[]
                {
                    outbox > 0 ? $"{outbox} outbox messages unsent" : null,
                    depths.Count > 0 ? "queued: " + string.Join(", ", depths) : null,
                    behind.Count > 0 ? "behind: " + string.Join(", ", behind.Select(Describe)) : null,
                }.OfType<string>());
                if (detail.Length == 0)
                {
                    return (true, string.Create(C, $"after {clock.Elapsed.TotalSeconds:0.0} s"));
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or RabbitMQ.Client.Exceptions.BrokerUnreachableException)
            {
                detail = ex.Message; // A server still recovering: keep waiting within the timeout.
            }

            if (clock.Elapsed > timeout)
            {
                return (false, string.Create(C, $"not quiet after {timeout.TotalSeconds:0} s: {detail}"));
            }

            // Polling interval of a condition wait, not a synchronisation sleep.
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    private static string Describe(ProjectState p) => p.NewestVersion is null
        ? $"{p.ProjectId} has no model"
        : string.Create(C, $"{p.ProjectId} v{p.NewestVersion} trained on {p.NewestTrainedOn} of {p.LabeledItems} labeled items, {p.PendingLabels} labels after its snapshot{(p.NewestHasSession ? "" : ", no query session")}");

    private static async Task<LabelTotals> CheckLabelsAsync(
        PlatformState state, List<Ack> acks, List<(string, bool, string)> checks, CancellationToken cancellationToken)
    {
        var counts = await state.CountWithAcksAsync(acks, new Dictionary<string, string>
        {
            // Lost: an acknowledged request whose label row (same id, request id, item and annotator) is not there.
            ["lost"] = """
                SELECT count(*) FROM (SELECT DISTINCT label_id, request_id, item_id, annotator FROM acks) a
                WHERE NOT EXISTS (SELECT 1 FROM labels l WHERE l.id = a.label_id AND l.request_id = a.request_id
                                  AND l.item_id = a.item_id AND l.annotator = a.annotator)
                """,
            // Duplicates: more than one stored row for one request id, or one request acknowledged as two labels.
            ["duplicates"] = """
                SELECT (SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM labels GROUP BY project_id, request_id HAVING count(*) > 1) d)
                     + (SELECT count(*) FROM (SELECT request_id FROM acks GROUP BY request_id HAVING count(DISTINCT label_id) > 1) r)
                """,
            ["acknowledged"] = "SELECT count(DISTINCT request_id) FROM acks",
            ["replays"] = "SELECT count(*) FROM acks WHERE label_id IN (SELECT label_id FROM acks GROUP BY label_id HAVING count(*) > 1)",
            ["unacknowledged"] = "SELECT count(*) FROM labels l WHERE NOT EXISTS (SELECT 1 FROM acks a WHERE a.request_id = l.request_id)",
            ["twice"] = "SELECT count(*) FROM (SELECT item_id FROM labels GROUP BY item_id HAVING count(*) > 1) t",
        }, cancellationToken);
        var totals = new LabelTotals(counts["acknowledged"], await state.LabelsStoredAsync(cancellationToken), counts["duplicates"], counts["lost"], counts["unacknowledged"]);
        checks.Add(("every acknowledged label stored once (label id, request id, item, annotator)", totals.Lost == 0 && totals.Duplicates == 0,
            string.Create(C, $"{totals.Lost} lost, {totals.Duplicates} duplicated, {counts["replays"]} acknowledgements were replays (200)")));
        checks.Add(("no item labeled twice (leases held across the faults)", counts["twice"] == 0, string.Create(C, $"{counts["twice"]} items with two labels")));
        return totals;
    }

    private static async Task CheckModelsAsync(PlatformState state, List<(string, bool, string)> checks, CancellationToken cancellationToken)
    {
        // A model is trained on the labels one REPEATABLE READ snapshot held; labels_seen records how many. Label ids
        // are handed out at insert and become visible at commit, so a label with a lower id than the snapshot's newest
        // may commit after it: such a label is not in that model but counts towards the next trigger. So a model can
        // have seen fewer labels than carry an id up to its newest one, never more, and each version sees at least as
        // many as the one before.
        var inconsistent = await state.RowsAsync("""
            SELECT * FROM (
                SELECT m.project_id, m.version, m.labels_seen, m.last_label_id,
                       (SELECT count(*) FROM labels l WHERE l.project_id = m.project_id AND l.id <= m.last_label_id) AS labels_up_to_newest,
                       lag(m.labels_seen) OVER (PARTITION BY m.project_id ORDER BY m.version) AS previous_seen
                FROM model_versions m) v
            WHERE v.labels_seen IS NULL OR v.labels_seen > v.labels_up_to_newest OR v.labels_seen < v.previous_seen
            ORDER BY v.project_id, v.version
            """, cancellationToken);
        var models = await state.CountAsync("SELECT count(*) FROM model_versions", cancellationToken);
        checks.Add(("each model saw no label its snapshot could not hold, and no fewer than the version before", inconsistent.Count == 0,
            string.Create(C, $"{models} models, {inconsistent.Count} inconsistent") + string.Concat(inconsistent.Take(10).Select(r => "\n      " + r))));

        var gaps = await state.RowsAsync("SELECT project_id, count(*) AS models, max(version) AS newest FROM model_versions GROUP BY project_id HAVING max(version) <> count(*)", cancellationToken);
        checks.Add(("model versions count up from 1 without gaps", gaps.Count == 0, string.Join("; ", gaps)));

        var projects = await state.ProjectsAsync(cancellationToken);
        var late = projects.Where(p => p.NewestVersion is null || p.PendingLabels >= p.RetrainEvery).ToList();
        checks.Add(("newest model of each project has fewer than retrain-every labels after its snapshot", late.Count == 0,
            string.Join("; ", projects.Select(p => string.Create(C, $"v{p.NewestVersion}: {p.PendingLabels} after snapshot, retrain every {p.RetrainEvery}")))));
        var behind = projects.Where(p => !p.CaughtUp).ToList();
        checks.Add(("newest model trained on every stored label and ranked with (idle flush)", behind.Count == 0,
            behind.Count == 0 ? string.Join("; ", projects.Select(p => string.Create(C, $"v{p.NewestVersion} on {p.NewestTrainedOn} labeled items"))) : string.Join("; ", behind.Select(Describe))));
    }

    private static async Task CheckSessionsAsync(PlatformState state, List<(string, bool, string)> checks, CancellationToken cancellationToken)
    {
        var problems = new (string What, string Sql)[]
        {
            ("sessions ranked with a model the project does not have",
                "SELECT count(*) FROM query_sessions s WHERE s.model_version IS NOT NULL AND NOT EXISTS (SELECT 1 FROM model_versions m WHERE m.project_id = s.project_id AND m.version = s.model_version)"),
            ("sessions built twice from one model", "SELECT count(*) FROM (SELECT 1 FROM query_sessions WHERE model_version IS NOT NULL GROUP BY project_id, model_version HAVING count(*) > 1) d"),
            ("items twice in one session", "SELECT count(*) FROM (SELECT 1 FROM queries GROUP BY project_id, session_id, item_id HAVING count(*) > 1) d"),
            ("queries of items not in the session's project", "SELECT count(*) FROM queries q LEFT JOIN items i ON i.id = q.item_id WHERE i.id IS NULL OR i.project_id <> q.project_id"),
            ("sessions whose query count differs from their queries",
                "SELECT count(*) FROM query_sessions s WHERE s.query_count <> (SELECT count(*) FROM queries q WHERE q.project_id = s.project_id AND q.session_id = s.session_id)"),
            ("labels naming a session that does not exist",
                "SELECT count(*) FROM labels l WHERE l.query_session_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM query_sessions s WHERE s.project_id = l.project_id AND s.session_id = l.query_session_id)"),
        };
        var found = new List<string>();
        foreach (var (what, sql) in problems)
        {
            if (await state.CountAsync(sql, cancellationToken) is > 0 and var n)
            {
                found.Add(string.Create(C, $"{n} {what}"));
            }
        }

        var sessions = await state.CountAsync("SELECT count(*) FROM query_sessions", cancellationToken);
        checks.Add(("query sessions consistent (model exists, one per model, items once and of the project)", found.Count == 0,
            found.Count == 0 ? string.Create(C, $"{sessions} sessions") : string.Join("; ", found)));
    }

    private static async Task CheckErrorQueuesAsync(Broker broker, string[] errorQueues, List<(string, bool, string)> checks, CancellationToken cancellationToken)
    {
        var parked = new List<ParkedMessage>();
        foreach (var queue in errorQueues)
        {
            parked.AddRange(await broker.PeekAsync(queue, cancellationToken));
        }

        checks.Add(("error queues empty", parked.Count == 0,
            (errorQueues.Length == 0 ? "no error queues exist" : string.Create(C, $"{parked.Count} messages in {string.Join(", ", errorQueues)}"))
            + string.Concat(parked.Select(m => $"\n      {m.Queue}: {m.MessageType}: {m.Reason}"))));
    }

    private static void Print(string[] faults, LabelTotals labels, List<(string Name, bool Passed, string Detail)> checks)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(C, $"{"faults injected",-22}{faults.Length,8}  {string.Join(", ", faults)}"));
        Console.WriteLine(string.Create(C, $"{"labels acknowledged",-22}{labels.Acknowledged,8}"));
        Console.WriteLine(string.Create(C, $"{"labels stored",-22}{labels.Stored,8}  ({labels.Unacknowledged} stored whose answer never reached the annotator)"));
        Console.WriteLine(string.Create(C, $"{"duplicates",-22}{labels.Duplicates,8}"));
        Console.WriteLine(string.Create(C, $"{"lost",-22}{labels.Lost,8}"));
        Console.WriteLine();
        foreach (var (name, passed, detail) in checks)
        {
            Console.WriteLine($"{(passed ? "PASS" : "FAIL")}  {name}" + (detail.Length > 0 ? $"\n      {detail}" : ""));
        }
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : throw new InvalidOperationException($"{name} is not set.");

    private sealed record LabelTotals(long Acknowledged, long Stored, long Duplicates, long Lost, long Unacknowledged);
}
