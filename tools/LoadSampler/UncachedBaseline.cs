using System.Diagnostics;
using ActiveLabel.Learning;
using ActiveLabel.Persistence.Reading;
using Npgsql;

namespace ActiveLabel.LoadSampler;

/// <summary>
/// What the QuerySampler did per model before the pool cache, in this process and stage by stage: read every
/// unlabeled payload as JSON text, parse each into a column map, build the item table, featurize, score. The figures
/// say where the time of an uncached ranking goes; the write (the session's batch) is the same either way.
/// </summary>
internal static class UncachedBaseline
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var project = Guid.Parse(args.Required("project"));
        var strategy = args.Get("strategy", QueryStrategies.LeastConfidence);
        await using var connection = new NpgsqlConnection(Arguments.ConnectionString);
        await connection.OpenAsync();
        await using var modelCommand = new NpgsqlCommand("SELECT model FROM model_versions WHERE project_id = @p ORDER BY version DESC LIMIT 1", connection);
        modelCommand.Parameters.AddWithValue("p", project);
        var clock = Stopwatch.StartNew();
        var model = ProjectModel.Deserialize((byte[])(await modelCommand.ExecuteScalarAsync())!);
        var modelMs = Lap(clock);

        var ids = new List<long>();
        var payloads = new List<string>();
        await using (var read = new NpgsqlCommand("SELECT id, payload::text FROM items WHERE project_id = @p AND NOT is_labeled ORDER BY id", connection))
        {
            read.Parameters.AddWithValue("p", project);
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetInt64(0));
                payloads.Add(reader.GetString(1));
            }
        }

        var readMs = Lap(clock);
        var rows = payloads.Select(p => (IReadOnlyDictionary<string, string?>)ItemPayload.ToColumns(p)).ToList();
        payloads.Clear();
        var parseMs = Lap(clock);
        var table = ItemTable.FromRows(rows, model.Featurizer.Schema.AllColumns);
        var features = model.Featurize(table);
        var featurizeMs = Lap(clock);
        var ranked = QueryStrategies.Get(strategy).Rank(new QueryContext { Pool = features, Model = model.Classifier, Training = model.Options, Seed = 1 }, 1000);
        var scoreMs = Lap(clock);
        GC.KeepAlive(rows);

        Console.WriteLine();
        Console.WriteLine($"uncached path (before the pool cache), in-process, {ids.Count:N0} unlabeled items, {strategy}, {ranked.Count} kept:");
        Console.WriteLine($"  model {modelMs:0} ms, read payloads {readMs:0} ms, parse JSON {parseMs:0} ms, featurize {featurizeMs:0} ms, score {scoreMs:0} ms; " +
            $"total {modelMs + readMs + parseMs + featurizeMs + scoreMs:0} ms (+ the write); peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:0} MB");
        return 0;
    }

    private static double Lap(Stopwatch clock)
    {
        var ms = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        return ms;
    }
}
