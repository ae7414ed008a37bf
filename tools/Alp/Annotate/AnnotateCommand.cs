using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ActiveLabel.Alp.Platform;
using ActiveLabel.Learning;

namespace ActiveLabel.Alp.Annotate;

/// <summary>
/// <c>alp annotate</c>: N concurrent annotators label a project through the HTTP API, answering from a labeled file.
/// The demo (watch the model improve) and the load generator (throughput, latency percentiles) in one.
/// </summary>
internal static class AnnotateCommand
{
    public static Command Create()
    {
        var project = new Option<Guid>("--project") { Description = "The project id.", Required = true };
        var oracle = new Option<string>("--oracle") { Description = "Labeled file or folder with the true labels (same formats as alp simulate).", Required = true };
        var label = new Option<string>("--label") { Description = "Label column of the oracle file.", DefaultValueFactory = _ => "label" };
        var text = new Option<string>("--text") { Description = "Column matched against the served item's text.", DefaultValueFactory = _ => "text" };
        var idColumn = new Option<string?>("--id-column") { Description = "Match served items by external id, read from this oracle column, instead of by text." };
        var annotators = new Option<int>("--annotators") { Description = "Concurrent annotators (users <prefix>-1..N are created if missing).", DefaultValueFactory = _ => 1 };
        var budget = new Option<int>("--budget") { Description = "Labels to give in all.", DefaultValueFactory = _ => 100 };
        var prefix = new Option<string>("--user-prefix") { Description = "Prefix of the annotators' user names.", DefaultValueFactory = _ => "oracle" };
        var think = new Option<int>("--think-ms") { Description = "Time each annotator spends per item.", DefaultValueFactory = _ => 0 };
        var json = new Option<string?>("--json") { Description = "Also write the summary, with every accepted label id, to this JSON file." };
        var rate = new Option<double?>("--rate")
        {
            Description = "Pace each annotator at this many labels per second (open loop; latencies count from when a request was due). Default: as fast as the server answers.",
        };
        var duration = new Option<double?>("--duration") { Description = "Stop after this many seconds (the budget still caps the labels)." };
        var acks = new Option<string?>("--acks") { Description = "Write every acknowledged label (label id, request id, item id, annotator, status) to this TSV file as it is acknowledged." };
        var stopFile = new Option<string?>("--stop-file") { Description = "Stop taking new items once this file exists (ends an open-ended run)." };
        var patience = new Option<int>("--patience-seconds") { Description = "How long a request is retried (connection errors, timeouts, 5xx, 429 after its Retry-After) before it counts as an error.", DefaultValueFactory = _ => 120 };
        var command = new Command("annotate", "Play N oracle annotators against a project through the HTTP API.")
        {
            project, oracle, label, text, idColumn, annotators, budget, prefix, think, json, rate, duration, acks, stopFile, patience,
        };
        var connection = PlatformOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var truth = Oracle.Load(parse.GetRequiredValue(oracle), parse.GetValue(label)!, parse.GetValue(text)!, parse.GetValue(idColumn));
                if (parse.GetValue(annotators) is < 1 or > 1000 || parse.GetValue(budget) < 0 || parse.GetValue(patience) < 0)
                {
                    Console.Error.WriteLine("--annotators must be 1 to 1000, --budget and --patience-seconds at least 0.");
                    return 2;
                }

                if (parse.GetValue(rate) is <= 0 or > 1000 || parse.GetValue(duration) is <= 0)
                {
                    Console.Error.WriteLine("--rate must be above 0 and at most 1000 labels/s per annotator, and --duration above 0 s.");
                    return 2;
                }

                var endpoints = connection.Resolve(parse);
                var settings = new AnnotateSettings(
                    endpoints.Ingestion, endpoints.Labeling, endpoints.Token, parse.GetValue(project), parse.GetValue(annotators), parse.GetValue(budget),
                    parse.GetValue(prefix)!, parse.GetValue(think) > 0 ? TimeSpan.FromMilliseconds(parse.GetValue(think)) : null)
                {
                    RatePerAnnotator = parse.GetValue(rate),
                    Duration = parse.GetValue(duration) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                    Patience = TimeSpan.FromSeconds(parse.GetValue(patience)),
                    AcksPath = parse.GetValue(acks),
                    StopFile = parse.GetValue(stopFile),
                };
                using var players = new OracleAnnotators(settings, truth, Console.Error);
                var summary = await players.RunAsync(cancellationToken);
                Print(summary);
                if (parse.GetValue(json) is { } path)
                {
                    await File.WriteAllTextAsync(path, JsonSerializer.Serialize(summary, JsonSerializerOptions.Web), cancellationToken);
                }

                return summary.Errors == 0 && summary.ServedTwice == 0 ? 0 : 1;
            }
            catch (Exception ex) when (ex is DataFormatException or PlatformException or InvalidOperationException or HttpRequestException)
            {
                Console.Error.WriteLine(ex.Message);
                return 1;
            }
        });
        return command;
    }

    private static void Print(AnnotateSummary s)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"annotators {s.Annotators}  accepted {s.Accepted}  replayed {s.Replayed}  conflicts {s.Conflicts}  unknown {s.UnknownItems}  served twice {s.ServedTwice}  errors {s.Errors}"));
        Console.WriteLine(string.Create(c, $"{s.Seconds:0.0} s, {s.LabelsPerSecond:0.0} labels/s"));
        if (s.RatePerAnnotator is { } paced)
        {
            Console.WriteLine(string.Create(
                c, $"paced at {paced:0.##} labels/s per annotator ({paced * s.Annotators:0} offered); cycles more than a period late: {s.MissedSchedule}"));
        }

        if (s.Retries.Count > 0)
        {
            Console.WriteLine("retried: " + string.Join(", ", s.Retries.Select(r => string.Create(c, $"{r.Key} {r.Value}"))));
        }

        Console.WriteLine("request        count     p50 ms    p95 ms    p99 ms    max ms");
        foreach (var (name, l) in new[] { ("next item", s.NextItem), ("submit label", s.SubmitLabel) })
        {
            Console.WriteLine(string.Create(c, $"{name,-12} {l.Count,8} {l.P50,10:0.0} {l.P95,9:0.0} {l.P99,9:0.0} {l.Max,9:0.0}"));
        }
    }
}
