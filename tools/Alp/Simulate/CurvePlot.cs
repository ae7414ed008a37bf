using System.Globalization;
using System.Net;
using System.Text;
using ActiveLabel.Learning;

namespace ActiveLabel.Alp.Simulate;

/// <summary>Draws the mean learning curves (accuracy and ROC AUC against labels, ±1 standard deviation) as an SVG.</summary>
internal static class CurvePlot
{
    private const int PanelWidth = 460;
    private const int PanelHeight = 320;
    private const int Margin = 50;
    private static readonly string[] Colors = ["#7f7f7f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"];

    public static string Svg(SimulationSummary summary, string title)
    {
        var width = (2 * PanelWidth) + (3 * Margin);
        var height = PanelHeight + (3 * Margin) + (18 * summary.Strategies.Count);
        var svg = new StringBuilder();
        Append(svg, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        Append(svg, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        Append(svg, $"<text x=\"{Margin}\" y=\"20\" font-size=\"15\">{WebUtility.HtmlEncode(title)}: active learning vs random</text>");
        Panel(svg, summary, Margin, "accuracy", p => p.Accuracy, summary.TargetFraction * summary.FullDataAccuracy);
        Panel(svg, summary, (2 * Margin) + PanelWidth, "ROC AUC", p => p.RocAuc, summary.TargetFraction * summary.FullDataRocAuc);
        for (var s = 0; s < summary.Strategies.Count; s++)
        {
            var y = PanelHeight + (2 * Margin) + 10 + (18 * s);
            Append(svg, $"<line x1=\"{Margin}\" y1=\"{y}\" x2=\"{Margin + 24}\" y2=\"{y}\" stroke=\"{Colors[s % Colors.Length]}\" stroke-width=\"3\"/>");
            Append(svg, $"<text x=\"{Margin + 30}\" y=\"{y + 4}\">{WebUtility.HtmlEncode(summary.Strategies[s].Strategy)}</text>");
        }

        Append(svg, $"<text x=\"{Margin + 200}\" y=\"{PanelHeight + (2 * Margin) + 14}\" fill=\"#555\">dashed: {summary.TargetFraction * 100:F0}% of the full-data model</text>");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, SimulationSummary summary, int left, string metric, Func<MeanCurvePoint, Spread> value, double? target)
    {
        var points = summary.Strategies.SelectMany(s => s.Curve).Where(p => double.IsFinite(value(p).Mean)).ToList();
        if (points.Count == 0)
        {
            return;
        }

        var top = Margin;
        double minX = points.Min(p => p.Labels), maxX = Math.Max(minX + 1, points.Max(p => p.Labels));
        var minY = Math.Floor(points.Min(p => value(p).Mean - value(p).Std) * 20) / 20;
        var maxY = Math.Min(1, Math.Ceiling(Math.Max(points.Max(p => value(p).Mean + value(p).Std), target ?? 0) * 20) / 20);
        minY = Math.Min(minY, maxY - 0.05);
        double X(double labels) => left + ((labels - minX) / (maxX - minX) * PanelWidth);
        double Y(double v) => top + PanelHeight - ((Math.Clamp(v, minY, maxY) - minY) / (maxY - minY) * PanelHeight);

        Append(svg, $"<rect x=\"{left}\" y=\"{top}\" width=\"{PanelWidth}\" height=\"{PanelHeight}\" fill=\"none\" stroke=\"#333\"/>");
        for (var i = 0; i <= 5; i++)
        {
            var v = minY + ((maxY - minY) * i / 5);
            var labels = minX + ((maxX - minX) * i / 5);
            Append(svg, $"<line x1=\"{left}\" y1=\"{Y(v):F1}\" x2=\"{left + PanelWidth}\" y2=\"{Y(v):F1}\" stroke=\"#eee\"/>");
            Append(svg, $"<text x=\"{left - 6}\" y=\"{Y(v) + 4:F1}\" text-anchor=\"end\">{v:F2}</text>");
            Append(svg, $"<text x=\"{X(labels):F1}\" y=\"{top + PanelHeight + 16}\" text-anchor=\"middle\">{labels:F0}</text>");
        }

        Append(svg, $"<text x=\"{left + (PanelWidth / 2)}\" y=\"{top + PanelHeight + 34}\" text-anchor=\"middle\">labels</text>");
        Append(svg, $"<text x=\"{left + 8}\" y=\"{top - 8}\">{metric}</text>");
        if (target is { } t)
        {
            Append(svg, $"<line x1=\"{left}\" y1=\"{Y(t):F1}\" x2=\"{left + PanelWidth}\" y2=\"{Y(t):F1}\" stroke=\"#000\" stroke-dasharray=\"6,4\"/>");
        }

        for (var s = 0; s < summary.Strategies.Count; s++)
        {
            var curve = summary.Strategies[s].Curve.Where(p => double.IsFinite(value(p).Mean)).ToList();
            var color = Colors[s % Colors.Length];
            var band = curve.Select(p => Point(X(p.Labels), Y(value(p).Mean + value(p).Std)))
                .Concat(curve.AsEnumerable().Reverse().Select(p => Point(X(p.Labels), Y(value(p).Mean - value(p).Std))));
            Append(svg, $"<polygon points=\"{string.Join(' ', band)}\" fill=\"{color}\" fill-opacity=\"0.15\" stroke=\"none\"/>");
            Append(svg, $"<polyline points=\"{string.Join(' ', curve.Select(p => Point(X(p.Labels), Y(value(p).Mean))))}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>");
        }
    }

    private static string Point(double x, double y) => string.Create(CultureInfo.InvariantCulture, $"{x:F1},{y:F1}");

    private static void Append(StringBuilder svg, FormattableString line) => svg.AppendLine(FormattableString.Invariant(line));
}
