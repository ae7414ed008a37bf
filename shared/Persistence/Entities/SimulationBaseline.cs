namespace ActiveLabel.Persistence.Entities;

/// <summary>
/// The random-order learning curve <c>alp simulate</c> measured for a project's data, stored so the dashboard can draw
/// it beside the real metric history. One per project; storing another replaces it.
/// </summary>
public sealed class SimulationBaseline
{
    public Guid ProjectId { get; set; }

    /// <summary>Where the curve came from (the simulated dataset's description), shown with it.</summary>
    public required string Source { get; set; }

    /// <summary>JSON array of <c>{labels, accuracy, macroF1, auc}</c>, in increasing label count.</summary>
    public required string Points { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
