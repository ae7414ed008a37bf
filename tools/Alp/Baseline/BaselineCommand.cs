using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using ActiveLabel.Alp.Platform;

namespace ActiveLabel.Alp.Baseline;

/// <summary>
/// <c>alp project baseline --project ID --from OUTDIR</c>: sends the random strategy's mean learning curve from an
/// <c>alp simulate</c> output folder (curves.json, and summary.json for the dataset's name) to the project, so the
/// dashboard draws it beside the real metric history. Admins only; a second upload replaces the first.
/// </summary>
internal static class BaselineCommand
{
    private const string RandomStrategy = "random";

    public static Command Create()
    {
        var project = new Option<Guid>("--project") { Description = "The project id.", Required = true };
        var from = new Option<DirectoryInfo>("--from") { Description = "The output folder of alp simulate (holds curves.json).", Required = true };
        var command = new Command("baseline", "Store the random baseline that alp simulate measured, for the project's dashboard.") { project, from };
        var platform = PlatformOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await AlpRun.CallAsync(parse, async () =>
        {
            var body = Read(parse.GetValue(from)!);
            using var client = platform.CreateClient(parse);
            var stored = await client.SendAsync<JsonElement>(
                PlatformService.Labeling, HttpMethod.Put, $"/api/projects/{parse.GetValue(project)}/baseline", JsonContent.Create(body, options: PlatformClient.Json), cancellationToken);
            parse.InvocationConfiguration.Output.WriteLine($"stored {stored.GetProperty("points").GetInt32()} points of the random baseline from {body.Source}");
            return 0;
        }));
        return command;
    }

    /// <summary>The random strategy's mean curve in the shape the Labeling service takes.</summary>
    /// <exception cref="IOException">No curves.json, or not one alp simulate wrote.</exception>
    internal static BaselineBody Read(DirectoryInfo folder)
    {
        var curvesPath = Path.Combine(folder.FullName, "curves.json");
        if (!File.Exists(curvesPath))
        {
            throw new IOException($"{curvesPath} does not exist: pass the folder alp simulate wrote (its --out).");
        }

        try
        {
            using var curves = JsonDocument.Parse(File.ReadAllText(curvesPath));
            var random = curves.RootElement.GetProperty("strategies").EnumerateArray()
                .FirstOrDefault(s => s.GetProperty("name").GetString() == RandomStrategy);
            if (random.ValueKind != JsonValueKind.Object)
            {
                throw new IOException($"{curvesPath} has no '{RandomStrategy}' strategy; alp simulate always runs it, so this is not its output.");
            }

            var points = random.GetProperty("points").EnumerateArray().Select(p => new BaselinePoint(
                p.GetProperty("labels").GetInt32(), Number(p, "accuracyMean"), Number(p, "macroF1Mean"), Number(p, "rocAucMean"))).ToList();
            return new BaselineBody(Source(folder), points);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new IOException($"{curvesPath} is not a curves.json of alp simulate: {e.Message}", e);
        }
    }

    // summary.json names the dataset the simulation ran on; without it, the folder's name says where the curve came from.
    private static string Source(DirectoryInfo folder)
    {
        var summaryPath = Path.Combine(folder.FullName, "summary.json");
        if (File.Exists(summaryPath))
        {
            using var summary = JsonDocument.Parse(File.ReadAllText(summaryPath));
            if (summary.RootElement.TryGetProperty("dataset", out var dataset) && dataset.GetString() is { Length: > 0 } name)
            {
                return name.Length > 500 ? name[..500] : name;
            }
        }

        return folder.Name;
    }

    private static double? Number(JsonElement point, string name) =>
        point.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}

internal sealed record BaselineBody(string Source, IReadOnlyList<BaselinePoint> Points);

internal sealed record BaselinePoint(int Labels, double? Accuracy, double? MacroF1, double? Auc);
