using System.CommandLine;
using System.Text.Json;
using ActiveLabel.Alp.Baseline;
using ActiveLabel.Alp.Platform;

namespace ActiveLabel.Alp.Projects;

/// <summary>alp project create | list: projects on the Ingestion service; alp project baseline: a simulated baseline for the dashboard.</summary>
internal static class ProjectCommand
{
    public static Command Create() => new("project", "Create and list labeling projects; store a simulated baseline.") { CreateCommand(), ListCommand(), BaselineCommand.Create() };

    private static Command CreateCommand()
    {
        var name = new Option<string>("--name") { Description = "Project name, unique.", Required = true };
        var task = new Option<string>("--task") { Description = "text or tabular.", Required = true };
        task.AcceptOnlyFromAmong("text", "tabular");
        var labels = new Option<string>("--labels")
        {
            Description = "Label set: \"name[:key[:description]],...\" (e.g. \"clickbait:c:Sensational headline,legit:l\"), or a JSON file of [{\"name\",\"key\",\"description\"}].",
            Required = true,
        };
        var textColumns = new Option<string[]>("--text-columns") { Description = "Text column(s), comma-separated (text projects default to \"text\").", AllowMultipleArgumentsPerToken = true };
        var featureColumns = new Option<string[]>("--feature-columns") { Description = "Feature column(s) of tabular projects, comma-separated.", AllowMultipleArgumentsPerToken = true };
        var retrainEvery = new Option<int?>("--retrain-every") { Description = "Retrain after this many new labels (default 10)." };
        var strategy = new Option<string?>("--strategy") { Description = "Query strategy, e.g. least_confidence (default), entropy, smallest_margin, random." };
        var batchSize = new Option<int?>("--batch-size") { Description = "Ranked items per query session (default 1000)." };
        var command = new Command("create", "Create a project and print its id.") { name, task, labels, textColumns, featureColumns, retrainEvery, strategy, batchSize };
        var platform = PlatformOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await AlpRun.CallAsync(parse, async () =>
        {
            var request = new
            {
                name = parse.GetValue(name),
                taskType = parse.GetValue(task),
                labels = ParseLabels(parse.GetValue(labels)!),
                textColumns = SplitList(parse.GetValue(textColumns)),
                featureColumns = SplitList(parse.GetValue(featureColumns)),
                retrainEvery = parse.GetValue(retrainEvery),
                queryStrategy = parse.GetValue(strategy),
                queryBatchSize = parse.GetValue(batchSize),
            };
            using var client = platform.CreateClient(parse);
            var project = await client.PostJsonAsync<ProjectSummary>(PlatformService.Ingestion, "/api/projects", request, cancellationToken);
            parse.InvocationConfiguration.Output.WriteLine(project.Id);
            return 0;
        }));
        return command;
    }

    private static Command ListCommand()
    {
        var json = new Option<bool>("--json") { Description = "Print the projects as JSON." };
        var command = new Command("list", "List the projects you can see.") { json };
        var platform = PlatformOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await AlpRun.CallAsync(parse, async () =>
        {
            using var client = platform.CreateClient(parse);
            var projects = await client.GetAsync<List<ProjectSummary>>(PlatformService.Ingestion, "/api/projects", cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(projects, PlatformClient.Json));
                return 0;
            }

            output.WriteLine($"{"id",-36}  {"task",-7}  {"labels",-30}  name");
            foreach (var p in projects)
            {
                output.WriteLine($"{p.Id,-36}  {p.TaskType,-7}  {string.Join(",", p.Labels.Select(l => l.Name)),-30}  {p.Name}");
            }

            return 0;
        }));
        return command;
    }

    /// <summary>Parses "name[:key[:description]],..." or reads a JSON file of label objects.</summary>
    internal static List<LabelSpec> ParseLabels(string value)
    {
        if (value.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(value))
            {
                throw new ArgumentException($"No such label file: {value}");
            }

            return JsonSerializer.Deserialize<List<LabelSpec>>(File.ReadAllText(value), PlatformClient.Json)
                ?? throw new ArgumentException($"{value} holds no label list.");
        }

        var labels = new List<LabelSpec>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(':', 3, StringSplitOptions.TrimEntries);
            labels.Add(new LabelSpec(pieces[0], pieces.Length > 1 && pieces[1].Length > 0 ? pieces[1] : null, pieces.Length > 2 ? pieces[2] : null));
        }

        return labels;
    }

    internal static string[] SplitList(string[]? values) =>
        [.. (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];

    internal sealed record LabelSpec(string Name, string? Key, string? Description);

    private sealed record ProjectSummary(Guid Id, string Name, string TaskType, List<LabelSpec> Labels);
}
