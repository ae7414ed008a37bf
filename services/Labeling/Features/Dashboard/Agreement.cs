using ActiveLabel.Learning;

namespace ActiveLabel.Labeling.Features.Dashboard;

/// <summary>An annotator's label of an item that more than one annotator labeled.</summary>
internal sealed record RatedItem(long ItemId, string Annotator, string Label);

/// <summary>Agreement of one pair of annotators on the items both labeled.</summary>
internal sealed record PairAgreement(string AnnotatorA, string AnnotatorB, int Items, double PercentAgreement, double CohensKappa);

/// <summary>
/// Agreement between annotators on items labeled more than once (seed labels are not annotators' and are left out).
/// <see cref="PercentAgreement"/> is the mean over items of the share of agreeing rater pairs on the item;
/// <see cref="FleissKappa"/> corrects it for chance with the pooled label distribution (Fleiss' kappa, which it equals
/// exactly when every item has the same number of raters). Both are null without overlapping labels.
/// </summary>
internal sealed record AgreementReport(int Items, int Labels, double? PercentAgreement, double? FleissKappa, IReadOnlyList<PairAgreement> Pairs);

internal static class Agreement
{
    /// <summary>The pairs with the most shared items, so a project with many annotators does not answer a quadratic list.</summary>
    public const int MaxPairs = 50;

    public static AgreementReport Compute(IReadOnlyList<RatedItem> ratings)
    {
        var items = ratings.GroupBy(r => r.ItemId).Where(g => g.Count() >= 2).Select(g => g.ToList()).ToList();
        if (items.Count == 0)
        {
            return new AgreementReport(0, 0, null, null, []);
        }

        var categories = ratings.Select(r => r.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var pooled = new double[categories.Count];
        var meanAgreement = 0.0;
        var labels = 0;
        foreach (var item in items)
        {
            var n = item.Count;
            var pairsAgreeing = 0.0;
            foreach (var group in item.GroupBy(r => r.Label, StringComparer.Ordinal))
            {
                var k = group.Count();
                pairsAgreeing += k * (k - 1);
                pooled[categories.IndexOf(group.Key)] += k;
            }

            meanAgreement += pairsAgreeing / (n * (n - 1));
            labels += n;
        }

        meanAgreement /= items.Count;
        var expected = pooled.Sum(c => (c / labels) * (c / labels));
        return new AgreementReport(items.Count, labels, meanAgreement, Kappa(meanAgreement, expected), Pairs(items, categories));
    }

    // Same convention as StoppingMonitor.CohensKappa: when chance agreement is certain (one label only), kappa is 1
    // if everyone agreed and 0 otherwise, rather than undefined.
    private static double Kappa(double observed, double expected) =>
        expected >= 1 ? (observed >= 1 ? 1 : 0) : (observed - expected) / (1 - expected);

    private static List<PairAgreement> Pairs(List<List<RatedItem>> items, List<string> categories)
    {
        var shared = new Dictionary<(string A, string B), (List<int> A, List<int> B)>();
        foreach (var item in items)
        {
            // Ordered by annotator (the query sorts), so (A, B) always has A < B.
            for (var i = 0; i < item.Count; i++)
            {
                for (var j = i + 1; j < item.Count; j++)
                {
                    var key = (item[i].Annotator, item[j].Annotator);
                    if (!shared.TryGetValue(key, out var lists))
                    {
                        shared[key] = lists = ([], []);
                    }

                    lists.A.Add(categories.IndexOf(item[i].Label));
                    lists.B.Add(categories.IndexOf(item[j].Label));
                }
            }
        }

        return [.. shared
            .OrderByDescending(p => p.Value.A.Count).ThenBy(p => p.Key.A, StringComparer.Ordinal).ThenBy(p => p.Key.B, StringComparer.Ordinal)
            .Take(MaxPairs)
            .Select(p => new PairAgreement(
                p.Key.A,
                p.Key.B,
                p.Value.A.Count,
                p.Value.A.Zip(p.Value.B).Count(x => x.First == x.Second) / (double)p.Value.A.Count,
                StoppingMonitor.CohensKappa(p.Value.A.ToArray(), p.Value.B.ToArray())))];
    }
}
