using ActiveLabel.Persistence;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Labeling;

/// <summary>Problem responses shared by the Labeling endpoints.</summary>
internal static class Problems
{
    /// <summary>A 400 naming the project's labels when <paramref name="label"/> is not one of them; null when it is.</summary>
    public static async Task<IResult?> LabelOutsideSetAsync(PlatformDbContext db, Guid projectId, string label, CancellationToken cancellationToken)
    {
        var labelSet = await db.ProjectLabels.Where(l => l.ProjectId == projectId).OrderBy(l => l.Position).Select(l => l.Name).ToListAsync(cancellationToken);
        return labelSet.Contains(label) ? null : LabelOutsideSet(label, labelSet);
    }

    /// <summary>The 400 for a <paramref name="label"/> that is not in <paramref name="labelSet"/> (the project's labels, in order).</summary>
    public static IResult LabelOutsideSet(string label, IReadOnlyList<string> labelSet) =>
        Results.ValidationProblem(
            new Dictionary<string, string[]> { ["label"] = [$"'{label}' is not a label of this project. Use one of: {string.Join(", ", labelSet)}."] },
            title: "The label is invalid.");
}
