namespace ActiveLabel.Ingestion.Data;

/// <summary>
/// Why one row (or item) was refused. <paramref name="Row"/> is 1-based: the line of the file where the record starts
/// (the header is line 1), or the item's position in a <c>SubmitItems</c> command. <paramref name="Column"/> is null
/// when the problem is not in one column (e.g. not valid JSON).
/// </summary>
internal sealed record RowError(long Row, string? Column, string Reason);

/// <summary>Collects row errors up to a limit, counting every rejected row.</summary>
internal sealed class RowErrors(int maxReported)
{
    private readonly List<RowError> _reported = [];

    public int Rejected { get; private set; }
    public IReadOnlyList<RowError> Reported => _reported;
    public bool Truncated => Rejected > _reported.Count;

    public void Add(RowError error)
    {
        Rejected++;
        if (_reported.Count < maxReported)
        {
            _reported.Add(error);
        }
    }
}
