using System.Globalization;
using System.Text;
using System.Text.Json;
using ActiveLabel.Learning;

namespace ActiveLabel.Alp.Simulate;

/// <summary>
/// Writes what a simulation measured. summary.json (the table, for scripts; fields documented in docs/learning.md),
/// curves.json and curves.csv (mean and spread per label count), curves.svg (the plot) and splits.json (each repeat's
/// test and seed rows, as row numbers of the loaded file, so another tool can replay the same experiment).
/// </summary>
internal static class SimulationReport
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static void Write(string folder, string description, SimulationDataset dataset, SimulationResult result, SimulationSummary summary, double seconds)
    {
        Directory.CreateDirectory(folder);
        var options = result.Options;
        var document = new
        {
            dataset = description,
            items = dataset.Items.RowCount,
            classes = result.Classes,
            settings = new
            {
                strategies = options.EffectiveStrategies,
                seedSize = options.SeedSize,
                batchSize = options.BatchSize,
                budget = options.Budget,
                repeats = options.Repeats,
                testFraction = options.TestFraction,
                seed = options.Seed,
                model = options.Training.Kind.ToString(),
                c = options.Training.C,
                textColumns = dataset.Schema.TextColumns,
                numericColumns = dataset.Schema.NumericColumns,
                categoricalColumns = dataset.Schema.CategoricalColumns,
            },
            fullData = new { accuracy = summary.FullDataAccuracy, rocAuc = summary.FullDataRocAuc },
            target = new
            {
                fraction = summary.TargetFraction,
                accuracy = summary.TargetFraction * summary.FullDataAccuracy,
                rocAuc = summary.TargetFraction * summary.FullDataRocAuc,
            },
            strategies = summary.Strategies.Select(s => new
            {
                name = s.Strategy,
                labelsToTargetAccuracy = s.LabelsToTargetAccuracy,
                labelsToTargetRocAuc = s.LabelsToTargetRocAuc,
                areaUnderAccuracyCurve = s.AreaUnderAccuracyCurve,
                savingVsRandomPercent = s.SavingVsRandomPercent,
                savingIsLowerBound = s.SavingIsLowerBound,
                finalAccuracy = s.FinalAccuracy,
            }),
            seconds,
        };
        File.WriteAllText(Path.Combine(folder, "summary.json"), JsonSerializer.Serialize(document, Json));

        var curves = new
        {
            fullData = result.Splits.Select(s => new { repeat = s.Repeat, accuracy = s.FullData.Accuracy, macroF1 = s.FullData.MacroF1, rocAuc = s.FullData.RocAuc }),
            strategies = summary.Strategies.Select(s => new
            {
                name = s.Strategy,
                points = s.Curve.Select(p => new
                {
                    labels = p.Labels,
                    accuracyMean = p.Accuracy.Mean,
                    accuracyStd = p.Accuracy.Std,
                    macroF1Mean = p.MacroF1.Mean,
                    macroF1Std = p.MacroF1.Std,
                    rocAucMean = Finite(p.RocAuc.Mean),
                    rocAucStd = Finite(p.RocAuc.Std),
                }),
                runs = result.Runs.Where(r => r.Strategy == s.Strategy).Select(r => new { repeat = r.Repeat, points = r.Points }),
            }),
        };
        File.WriteAllText(Path.Combine(folder, "curves.json"), JsonSerializer.Serialize(curves, Json));
        File.WriteAllText(Path.Combine(folder, "curves.csv"), Csv(summary));
        File.WriteAllText(Path.Combine(folder, "curves.svg"), CurvePlot.Svg(summary, description));
        var splits = new
        {
            items = dataset.Items.RowCount,
            repeats = result.Splits.Select(s => new { repeat = s.Repeat, testRows = s.TestRows, seedRows = s.SeedRows }),
        };
        File.WriteAllText(Path.Combine(folder, "splits.json"), JsonSerializer.Serialize(splits, Json));
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static string Csv(SimulationSummary summary)
    {
        var csv = new StringBuilder("strategy,labels,accuracy_mean,accuracy_std,macro_f1_mean,macro_f1_std,roc_auc_mean,roc_auc_std\n");
        foreach (var strategy in summary.Strategies)
        {
            foreach (var p in strategy.Curve)
            {
                csv.AppendLine(CultureInfo.InvariantCulture, $"{strategy.Strategy},{p.Labels},{p.Accuracy.Mean:F6},{p.Accuracy.Std:F6},{p.MacroF1.Mean:F6},{p.MacroF1.Std:F6},{Cell(p.RocAuc.Mean)},{Cell(p.RocAuc.Std)}");
            }
        }

        return csv.ToString();
    }

    private static string Cell(double value) => double.IsFinite(value) ? value.ToString("F6", CultureInfo.InvariantCulture) : string.Empty;

    public static void PrintTable(TextWriter output, SimulationSummary summary, SimulationResult result, double seconds)
    {
        var target = summary.TargetFraction;
        output.WriteLine(FormattableString.Invariant(
            $"Full-data model: accuracy {summary.FullDataAccuracy:F4}, ROC AUC {Number(summary.FullDataRocAuc)}; target {target * 100:F0}% of it: accuracy {target * summary.FullDataAccuracy:F4}, AUC {Number(target * summary.FullDataRocAuc)}"));
        output.WriteLine();
        output.WriteLine($"{"strategy",-24}{"labels to target acc",22}{"labels to target AUC",22}{"area under acc curve",22}{"saving vs random",18}");
        var budget = result.Runs.Max(r => r.Points[^1].Labels);
        foreach (var s in summary.Strategies)
        {
            var saving = s.Strategy == QueryStrategies.Random
                ? "-"
                : s.SavingVsRandomPercent is { } percent ? FormattableString.Invariant($"{(s.SavingIsLowerBound ? ">=" : string.Empty)}{percent:F1}%") : "not reached";
            output.WriteLine(FormattableString.Invariant(
                $"{s.Strategy,-24}{Labels(s.LabelsToTargetAccuracy, budget),22}{Labels(s.LabelsToTargetRocAuc, budget),22}{s.AreaUnderAccuracyCurve,22:F4}{saving,18}"));
        }

        output.WriteLine(FormattableString.Invariant($"({result.Options.Repeats} repeats, mean curves; {seconds:F1} s)"));
    }

    private static string Number(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "n/a";

    private static string Labels(int? labels, int budget) => labels is { } l ? l.ToString(CultureInfo.InvariantCulture) : $"> {budget}";
}
