using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ActiveLabel.Alp.Platform;

namespace ActiveLabel.Alp.Status;

/// <summary><c>alp status</c>: items, labels, the model versions with their metrics, and the current query session.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var project = new Option<Guid>("--project") { Description = "The project id.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the status as JSON." };
        var command = new Command("status", "Show a project's progress and its model metric history.") { project, json };
        var connection = PlatformOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                using var client = connection.CreateClient(parse);
                var status = await client.GetAsync<JsonElement>(PlatformService.Labeling, $"/api/projects/{parse.GetValue(project)}/status", cancellationToken);
                Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(status, PlatformClient.Json) : Format(status));
                return 0;
            }
            catch (PlatformException ex)
            {
                Console.Error.WriteLine(ex.Message);
                return 1;
            }
        });
        return command;
    }

    internal static string Format(JsonElement status)
    {
        var c = CultureInfo.InvariantCulture;
        var items = status.GetProperty("items");
        var retrain = status.GetProperty("retrain");
        var lines = new List<string>
        {
            $"{status.GetProperty("name").GetString()} ({status.GetProperty("projectId").GetString()})",
            string.Create(c, $"items {items.GetProperty("total").GetInt64()}  labeled {items.GetProperty("labeled").GetInt64()} (seed {items.GetProperty("seedLabels").GetInt64()}, annotators {items.GetProperty("annotatorLabels").GetInt64()})  unlabeled {items.GetProperty("unlabeled").GetInt64()}  leased {items.GetProperty("leased").GetInt64()}"),
            string.Create(c, $"next model after {retrain.GetProperty("every").GetInt32()} labels; {retrain.GetProperty("labelsSinceLastModel").GetInt64()} since the last one"),
        };
        lines.Add(status.GetProperty("currentSession") is { ValueKind: JsonValueKind.Object } session
            ? string.Create(c, $"current session {session.GetProperty("sessionId").GetInt32()}: {session.GetProperty("queryCount").GetInt32()} queries by {session.GetProperty("strategy").GetString()} with model v{session.GetProperty("modelVersion")}")
            : "no query session yet: items are served in random order until the first model");
        lines.Add("");
        lines.Add("version  labels  accuracy  macro-F1     AUC  log loss  evaluation");
        foreach (var model in status.GetProperty("models").EnumerateArray())
        {
            var m = model.GetProperty("metrics");
            lines.Add(string.Create(c,
                $"{model.GetProperty("version").GetInt32(),7}  {model.GetProperty("trainedOnLabels").GetInt32(),6}  {Metric(m, "accuracy"),8}  {Metric(m, "macroF1"),8}  {Metric(m, "auc"),6}  {Metric(m, "logLoss"),8}  {m.GetProperty("method").GetString()}"));
        }

        return string.Join(Environment.NewLine, lines);
    }

    private static string Metric(JsonElement metrics, string name) =>
        metrics.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble().ToString("0.000", CultureInfo.InvariantCulture) : "-";
}
