namespace ActiveLabel.Persistence.Entities;

/// <summary>One label of a project's label set.</summary>
public sealed class ProjectLabel
{
    public Guid ProjectId { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }

    /// <summary>Keyboard key that applies the label in the web app; unique in the project.</summary>
    public string? Key { get; set; }

    /// <summary>Display order.</summary>
    public int Position { get; set; }
}
