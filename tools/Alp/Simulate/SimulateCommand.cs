using System.CommandLine;
using System.Diagnostics;
using ActiveLabel.Alp.Data;
using ActiveLabel.Learning;

namespace ActiveLabel.Alp.Simulate;

/// <summary>
/// alp simulate: replays active learning on a labeled file with its labels as the annotator and reports how many
/// labels each strategy needs, against random sampling.
/// </summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "Labeled CSV/TSV/JSONL/text file (optionally .gz), or a folder of them." };
        var text = new Option<string[]>("--text") { Description = "Text column(s), comma-separated.", AllowMultipleArgumentsPerToken = true };
        var features = new Option<string[]>("--features") { Description = "Numeric feature column(s), comma-separated; '*' for every column except label and text.", AllowMultipleArgumentsPerToken = true };
        var categorical = new Option<string[]>("--categorical") { Description = "Categorical feature column(s), one-hot encoded.", AllowMultipleArgumentsPerToken = true };
        var label = new Option<string>("--label") { Description = "Label column.", DefaultValueFactory = _ => LabeledFile.LabelColumn };
        var strategy = new Option<string[]>("--strategy")
        {
            Description = $"Strategies to compare (random is always included): {string.Join(", ", QueryStrategies.Names)}.",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [QueryStrategies.Entropy],
        };
        var seedSize = new Option<int>("--seed-size") { Description = "Random labels before the first model.", DefaultValueFactory = _ => 10 };
        var batch = new Option<int>("--batch") { Description = "Labels per round.", DefaultValueFactory = _ => 10 };
        var budget = new Option<int>("--budget") { Description = "Total labels per run (seed included).", DefaultValueFactory = _ => 500 };
        var repeats = new Option<int>("--repeats") { Description = "Repeats with different splits and seeds.", DefaultValueFactory = _ => 3 };
        var testFraction = new Option<double>("--test-fraction") { Description = "Share held out for measuring.", DefaultValueFactory = _ => 0.2 };
        var output = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => "alp-simulation" };
        var seed = new Option<int>("--seed") { Description = "Base random seed.", DefaultValueFactory = _ => 0 };
        var model = new Option<string>("--model") { Description = "logreg (default) or nb (multinomial naive Bayes).", DefaultValueFactory = _ => "logreg" };
        var c = new Option<double>("--c") { Description = "Inverse regularisation strength of logistic regression.", DefaultValueFactory = _ => 1.0 };
        var noHeader = new Option<bool>("--no-header") { Description = "The CSV has no header row; columns are named c1, c2, ..." };

        var command = new Command("simulate", "Replay active learning on a labeled file and report the labels each strategy saves against random sampling.")
        {
            path, text, features, categorical, label, strategy, seedSize, batch, budget, repeats, testFraction, output, seed, model, c, noHeader,
        };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            try
            {
                var request = new SimulationRequest(
                    parse.GetValue(path)!,
                    SplitList(parse.GetValue(text)),
                    SplitList(parse.GetValue(features)),
                    SplitList(parse.GetValue(categorical)),
                    parse.GetValue(label)!,
                    SplitList(parse.GetValue(strategy)),
                    parse.GetValue(noHeader),
                    parse.GetValue(output)!,
                    new SimulationOptions
                    {
                        SeedSize = parse.GetValue(seedSize),
                        BatchSize = parse.GetValue(batch),
                        Budget = parse.GetValue(budget),
                        Repeats = parse.GetValue(repeats),
                        TestFraction = parse.GetValue(testFraction),
                        Seed = parse.GetValue(seed),
                        Training = new TrainingOptions
                        {
                            C = parse.GetValue(c),
                            Kind = ParseModel(parse.GetValue(model)!),
                        },
                    });
                return Run(request, stdout);
            }
            catch (Exception e) when (e is DataFormatException or ArgumentException)
            {
                stderr.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private static ModelKind ParseModel(string name) => name.ToLowerInvariant() switch
    {
        "logreg" or "lr" or "logistic" => ModelKind.LogisticRegression,
        "nb" or "naive_bayes" => ModelKind.NaiveBayes,
        _ => throw new ArgumentException($"Unknown model '{name}': use logreg or nb."),
    };

    private static string[] SplitList(string[]? values) =>
        [.. (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];

    private static int Run(SimulationRequest request, TextWriter stdout)
    {
        var (table, description) = LabeledFile.Read(request.Path, !request.NoHeader);
        var dataset = request.ToDataset(table);
        foreach (var name in request.Options.EffectiveStrategies)
        {
            QueryStrategies.Get(name);
        }

        stdout.WriteLine($"{description}: {dataset.Items.RowCount} labeled items; strategies {string.Join(", ", request.Options.EffectiveStrategies)}; {request.Options.Repeats} repeats");
        var clock = Stopwatch.StartNew();
        var result = ActiveLearningSimulator.Run(dataset, request.Options);
        var summary = SimulationSummary.From(result);
        var seconds = clock.Elapsed.TotalSeconds;
        SimulationReport.Write(request.OutputFolder, description, dataset, result, summary, seconds);
        SimulationReport.PrintTable(stdout, summary, result, seconds);
        stdout.WriteLine($"Wrote summary.json, curves.json, curves.csv, curves.svg and splits.json to {Path.GetFullPath(request.OutputFolder)}");
        return 0;
    }
}

/// <summary>The parsed command line.</summary>
internal sealed record SimulationRequest(
    string Path,
    string[] TextColumns,
    string[] FeatureColumns,
    string[] CategoricalColumns,
    string LabelColumn,
    string[] Strategies,
    bool NoHeader,
    string OutputFolder,
    SimulationOptions Options)
{
    public SimulationOptions Options { get; } = Options with { Strategies = Strategies.Length == 0 ? [QueryStrategies.Entropy] : Strategies };

    /// <summary>Checks the columns against the file and drops rows without a label.</summary>
    public SimulationDataset ToDataset(ItemTable table)
    {
        if (!table.HasColumn(LabelColumn))
        {
            throw new DataFormatException($"Label column '{LabelColumn}' not found; available columns: {string.Join(", ", table.ColumnNames)}.");
        }

        var text = TextColumns.Length == 0 && FeatureColumns.Length == 0 && CategoricalColumns.Length == 0 && table.HasColumn(LabeledFile.TextColumn)
            ? [LabeledFile.TextColumn]
            : TextColumns;
        var features = FeatureColumns is ["*"]
            ? [.. table.ColumnNames.Where(n => n != LabelColumn && !text.Contains(n) && !CategoricalColumns.Contains(n))]
            : FeatureColumns;
        if (text.Length + features.Length + CategoricalColumns.Length == 0)
        {
            throw new DataFormatException($"Say which columns to learn from: --text COL and/or --features COLS. Available columns: {string.Join(", ", table.ColumnNames)}.");
        }

        var schema = new FeatureSchema(text, features, CategoricalColumns);
        schema.Validate();
        foreach (var column in schema.AllColumns)
        {
            table.Column(column);
        }

        var labels = table.Column(LabelColumn);
        var keep = Enumerable.Range(0, table.RowCount).Where(i => !string.IsNullOrWhiteSpace(labels[i])).ToArray();
        if (keep.Length == 0)
        {
            throw new DataFormatException($"The label column '{LabelColumn}' is empty.");
        }

        return new SimulationDataset(schema, keep.Length == table.RowCount ? table : table.SelectRows(keep), [.. keep.Select(i => labels[i]!.Trim())]);
    }
}
