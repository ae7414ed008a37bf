namespace ActiveLabel.Learning;

/// <summary>Mean and standard deviation over repeats of one metric at one label count.</summary>
/// <param name="Mean">Mean over repeats.</param>
/// <param name="Std">Population standard deviation over repeats.</param>
public readonly record struct Spread(double Mean, double Std)
{
    internal static Spread Of(IEnumerable<double> values)
    {
        var list = values.ToList();
        if (list.Count == 0)
        {
            return new Spread(double.NaN, double.NaN);
        }

        var mean = list.Average();
        return new Spread(mean, Math.Sqrt(list.Average(v => (v - mean) * (v - mean))));
    }
}

/// <summary>A strategy's learning curve averaged over repeats.</summary>
/// <param name="Labels">Label count.</param>
/// <param name="Accuracy">Test accuracy.</param>
/// <param name="MacroF1">Test macro-F1.</param>
/// <param name="RocAuc">Test ROC AUC (NaN when unavailable).</param>
public sealed record MeanCurvePoint(int Labels, Spread Accuracy, Spread MacroF1, Spread RocAuc);

/// <summary>One line of the simulator's table.</summary>
/// <param name="Strategy">The strategy name.</param>
/// <param name="LabelsToTargetAccuracy">Fewest labels at which the mean accuracy reaches the target; null if never within the budget.</param>
/// <param name="LabelsToTargetRocAuc">Fewest labels at which the mean AUC reaches the target; null if never within the budget.</param>
/// <param name="AreaUnderAccuracyCurve">Mean accuracy over the label range (trapezoidal area divided by the range), in [0, 1].</param>
/// <param name="SavingVsRandomPercent">1 − labels/random's labels to the accuracy target, in percent; null when this strategy never reaches it.</param>
/// <param name="SavingIsLowerBound">True when random never reached the target, so its labels are taken as the budget and the saving is a lower bound.</param>
/// <param name="FinalAccuracy">Mean accuracy at the budget.</param>
/// <param name="Curve">The mean curve.</param>
public sealed record StrategySummary(
    string Strategy,
    int? LabelsToTargetAccuracy,
    int? LabelsToTargetRocAuc,
    double AreaUnderAccuracyCurve,
    double? SavingVsRandomPercent,
    bool SavingIsLowerBound,
    double FinalAccuracy,
    IReadOnlyList<MeanCurvePoint> Curve);

/// <summary>What the simulator reports: per strategy, labels to reach 99% of the full-data quality and the saving against random.</summary>
/// <param name="FullDataAccuracy">Mean test accuracy of models trained on the whole pool.</param>
/// <param name="FullDataRocAuc">Mean test AUC of models trained on the whole pool.</param>
/// <param name="TargetFraction">The fraction of full-data quality to reach (0.99).</param>
/// <param name="Strategies">One summary per strategy, random first.</param>
public sealed record SimulationSummary(double FullDataAccuracy, double? FullDataRocAuc, double TargetFraction, IReadOnlyList<StrategySummary> Strategies)
{
    /// <summary>Summarises a replay against <paramref name="targetFraction"/> of the full-data accuracy and AUC.</summary>
    public static SimulationSummary From(SimulationResult result, double targetFraction = 0.99)
    {
        ArgumentNullException.ThrowIfNull(result);
        var fullAccuracy = result.Splits.Average(s => s.FullData.Accuracy);
        var aucs = result.Splits.Where(s => s.FullData.RocAuc.HasValue).Select(s => s.FullData.RocAuc!.Value).ToList();
        double? fullAuc = aucs.Count > 0 ? aucs.Average() : null;
        var budget = result.Runs.Max(r => r.Points[^1].Labels);

        var curves = result.Options.EffectiveStrategies
            .Select(name => (Name: name, Curve: MeanCurve(result.Runs.Where(r => r.Strategy == name).ToList())))
            .ToList();
        int? Reach(IReadOnlyList<MeanCurvePoint> curve, Func<MeanCurvePoint, double> metric, double? target) =>
            target is null ? null : curve.FirstOrDefault(p => metric(p) >= target.Value)?.Labels;

        var randomLabels = Reach(curves[0].Curve, p => p.Accuracy.Mean, targetFraction * fullAccuracy);
        var summaries = curves.Select(c =>
        {
            var labels = Reach(c.Curve, p => p.Accuracy.Mean, targetFraction * fullAccuracy);
            double? saving = labels is null ? null : 100.0 * (1 - (labels.Value / (double)(randomLabels ?? budget)));
            return new StrategySummary(
                c.Name,
                labels,
                Reach(c.Curve, p => p.RocAuc.Mean, targetFraction * fullAuc),
                Area(c.Curve),
                saving,
                randomLabels is null && labels is not null,
                c.Curve[^1].Accuracy.Mean,
                c.Curve);
        }).ToList();
        return new SimulationSummary(fullAccuracy, fullAuc, targetFraction, summaries);
    }

    private static List<MeanCurvePoint> MeanCurve(List<StrategyRun> runs)
    {
        var length = runs.Min(r => r.Points.Count);
        return [.. Enumerable.Range(0, length).Select(i => new MeanCurvePoint(
            runs[0].Points[i].Labels,
            Spread.Of(runs.Select(r => r.Points[i].Accuracy)),
            Spread.Of(runs.Select(r => r.Points[i].MacroF1)),
            Spread.Of(runs.Where(r => r.Points[i].RocAuc.HasValue).Select(r => r.Points[i].RocAuc!.Value))))];
    }

    private static double Area(List<MeanCurvePoint> curve)
    {
        if (curve.Count == 1)
        {
            return curve[0].Accuracy.Mean;
        }

        var area = 0.0;
        for (var i = 1; i < curve.Count; i++)
        {
            area += (curve[i].Labels - curve[i - 1].Labels) * (curve[i].Accuracy.Mean + curve[i - 1].Accuracy.Mean) / 2;
        }

        return area / (curve[^1].Labels - curve[0].Labels);
    }
}
