namespace ActiveLabel.Persistence.Entities;

/// <summary>A labeling project: what is classified, with which labels, and how active learning runs.</summary>
public sealed class Project
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public TaskType TaskType { get; set; }

    /// <summary>Columns whose values are featurized as text.</summary>
    public List<string> TextColumns { get; set; } = [];

    /// <summary>Columns used as numeric or categorical features (tabular projects).</summary>
    public List<string> FeatureColumns { get; set; } = [];

    /// <summary>Retrain after this many new labels (the Dataiku "every n labeling" trigger).</summary>
    public int RetrainEvery { get; set; } = 10;

    public required string QueryStrategy { get; set; }

    /// <summary>How many ranked items a query session holds.</summary>
    public int QueryBatchSize { get; set; } = 1000;

    public DateTimeOffset CreatedAt { get; set; }

    public List<ProjectLabel> Labels { get; set; } = [];
}

/// <summary>Whether items are free text or tabular rows.</summary>
public enum TaskType
{
    Text = 0,
    Tabular = 1,
}
