using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ActiveLabel.Alp.Platform;

namespace ActiveLabel.Alp.Import;

/// <summary>alp import FILE --project ID: streams a file of items to Ingestion's upload endpoint.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("file") { Description = "CSV/TSV/JSONL/text file (optionally .gz), or a folder of them, as alp simulate reads." };
        var project = new Option<Guid>("--project") { Description = "Project id (alp project list).", Required = true };
        var label = new Option<string?>("--label") { Description = "Column whose values become seed labels (each must be in the project's label set; empty = unlabeled)." };
        var idColumn = new Option<string?>("--id-column") { Description = "Column holding each item's external id (default: derived from the content)." };
        var seed = new Option<int?>("--seed") { Description = "Keep the label of only N random labeled rows (the seed set); the others are imported unlabeled. Implies --label label." };
        var randomSeed = new Option<int>("--random-seed") { Description = "Random seed choosing the --seed rows (same seed, same rows).", DefaultValueFactory = _ => 42 };
        var onError = new Option<string>("--on-error") { Description = "reject: store nothing if any row is invalid; skip: store the valid rows.", DefaultValueFactory = _ => "reject" };
        onError.AcceptOnlyFromAmong("reject", "skip");
        var command = new Command("import", "Upload items (optionally with existing labels) into a project, streamed.") { path, project, label, idColumn, seed, randomSeed, onError };
        var platform = PlatformOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await AlpRun.CallAsync(parse, async () =>
        {
            var output = parse.InvocationConfiguration.Output;
            var source = ImportSource.Create(parse.GetValue(path)!, parse.GetValue(label), parse.GetValue(seed), parse.GetValue(randomSeed));
            source.Prepare();
            var query = Query(source.LabelColumn, parse.GetValue(idColumn), parse.GetValue(onError)!);
            using var client = platform.CreateClient(parse, TimeSpan.FromHours(2));
            var clock = Stopwatch.StartNew();
            ImportResult result;
            try
            {
                result = await client.SendAsync<ImportResult>(
                    PlatformService.Ingestion, HttpMethod.Post, $"/api/projects/{parse.GetValue(project)}/items{query}", source.CreateContent(), cancellationToken);
            }
            catch (PlatformException) when (source.Failure is { } failure)
            {
                throw failure;
            }
            catch (PlatformException e) when (e.Problem?.TryGetProperty("errors", out var errors) == true && errors.ValueKind == JsonValueKind.Array)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {e.Message}");
                WriteErrors(parse.InvocationConfiguration.Error, source.RowWord, errors.Deserialize<List<RowError>>(PlatformClient.Json)!);
                return AlpRun.Failed;
            }

            var seconds = Math.Max(clock.Elapsed.TotalSeconds, 0.001);
            output.WriteLine(
                $"{result.Received:N0} received, {result.Inserted:N0} inserted, {result.Duplicates:N0} duplicates, {result.Rejected:N0} rejected, " +
                $"{result.SeedLabels:N0} seed labels in {seconds:0.0} s ({result.Received / seconds:N0} rows/s); batch {result.BatchId}");
            WriteErrors(parse.InvocationConfiguration.Error, source.RowWord, result.Errors);
            if (result.ErrorsTruncated)
            {
                parse.InvocationConfiguration.Error.WriteLine($"  … and {result.Rejected - result.Errors.Count:N0} more rejected rows.");
            }

            return 0;
        }));
        return command;
    }

    internal static string Query(string? labelColumn, string? idColumn, string onError)
    {
        var parts = new List<string>();
        if (labelColumn is not null)
        {
            parts.Add("labelColumn=" + Uri.EscapeDataString(labelColumn));
        }

        if (idColumn is not null)
        {
            parts.Add("idColumn=" + Uri.EscapeDataString(idColumn));
        }

        parts.Add("onError=" + onError);
        return "?" + string.Join('&', parts);
    }

    private static void WriteErrors(TextWriter error, string rowWord, IReadOnlyList<RowError> errors)
    {
        foreach (var e in errors)
        {
            error.WriteLine($"  {rowWord} {e.Row}{(e.Column is null ? "" : $", column '{e.Column}'")}: {e.Reason}");
        }
    }

    private sealed record RowError(long Row, string? Column, string Reason);

    private sealed record ImportResult(Guid BatchId, int Received, int Inserted, int Duplicates, int Rejected, int SeedLabels, List<RowError> Errors, bool ErrorsTruncated);
}
