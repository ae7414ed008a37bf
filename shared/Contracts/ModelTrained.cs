namespace ActiveLabel.Contracts;

/// <summary>Event: a new model version of a project was trained, evaluated and stored.</summary>
/// <param name="ProjectId">The project.</param>
/// <param name="ModelVersion">Version number, counting up from 1 per project.</param>
/// <param name="TrainedOnLabels">Labels (seed and annotator) the model was trained on.</param>
/// <param name="LastLabelId">The newest label id included: every label with a smaller or equal id was in the training set.</param>
/// <param name="Metrics">Evaluation of the model.</param>
/// <param name="SchemaVersion">Contract version.</param>
/// <param name="OccurredAt">When the version was stored.</param>
public sealed record ModelTrained(
    Guid ProjectId,
    int ModelVersion,
    int TrainedOnLabels,
    long LastLabelId,
    ModelMetrics Metrics,
    int SchemaVersion,
    DateTimeOffset OccurredAt) : IProjectMessage;

/// <summary>Evaluation metrics of a model version; null where the metric could not be computed (e.g. one class in the test fold).</summary>
/// <param name="Accuracy">Share of correct predictions.</param>
/// <param name="MacroF1">Unweighted mean of per-class F1.</param>
/// <param name="Auc">ROC AUC (binary) or macro one-vs-rest AUC (multiclass).</param>
/// <param name="LogLoss">Mean negative log-likelihood of the true class.</param>
/// <param name="Method">How it was evaluated, e.g. "holdout-0.2" or "cv-5".</param>
public sealed record ModelMetrics(double? Accuracy, double? MacroF1, double? Auc, double? LogLoss, string Method);
