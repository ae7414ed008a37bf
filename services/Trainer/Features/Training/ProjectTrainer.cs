using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using ActiveLabel.Contracts;
using ActiveLabel.Learning;
using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Entities;
using ActiveLabel.Persistence.Reading;
using ActiveLabel.ServiceDefaults.Messaging;
using ActiveLabel.ServiceDefaults.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ActiveLabel.Trainer.Features.Training;

/// <summary>
/// Trains a project's next model version when it is due. At most one training per project runs at a time across all
/// replicas (a PostgreSQL advisory lock, released by the server if the replica dies); whoever holds the lock checks
/// again after releasing it, so a label that arrived while another replica was training is never left out.
/// </summary>
internal sealed class ProjectTrainer(
    NpgsqlDataSource dataSource, IServiceScopeFactory scopes, OutboxSignal outbox, IOptions<TrainerOptions> options, ILogger<ProjectTrainer> logger)
{
    private const int MinSeedsToEvaluateOn = 50;

    /// <summary>This replica, as recorded with each version it trains: the pod's host name and the process id.</summary>
    private static readonly string Replica = $"{Environment.MachineName}/{Environment.ProcessId}";

    /// <summary><c>alp.training.duration</c> (ms): reading the labels, evaluating, training and storing one model version.</summary>
    private static readonly Histogram<double> Duration = PlatformTelemetry.Meter.CreateHistogram<double>(
        "alp.training.duration", "ms", "Time to read, evaluate, train and store one model version.");

    public async Task TrainWhileDueAsync(Guid projectId, CancellationToken cancellationToken)
    {
        while (await IsDueAsync(projectId, cancellationToken))
        {
            await using var lockConnection = await dataSource.OpenConnectionAsync(cancellationToken);
            if (!await TryLockAsync(lockConnection, projectId, cancellationToken))
            {
                return; // Another replica trains this project; it checks again when it is done.
            }

            try
            {
                while (await IsDueAsync(projectId, cancellationToken))
                {
                    if (!await TrainOnceAsync(projectId, cancellationToken))
                    {
                        return;
                    }
                }
            }
            finally
            {
                await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtextextended('train:' || @project::text, 0))", lockConnection);
                unlock.Parameters.AddWithValue("project", projectId);
                await unlock.ExecuteScalarAsync(CancellationToken.None);
            }
        }
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, Guid projectId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtextextended('train:' || @project::text, 0))", connection);
        command.Parameters.AddWithValue("project", projectId);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Due when N labels were stored that the newest model's snapshot did not hold (counted in the labels table, not
    /// from events, which trail it), when fewer wait and annotators paused (idle flush), or when there is no model yet.
    /// </summary>
    private async Task<bool> IsDueAsync(Guid projectId, CancellationToken cancellationToken)
    {
        // Labels beyond the newest model's snapshot: every label row of the project less those the snapshot held.
        // Counting ids above its newest label id would miss a label with a lower id whose transaction committed after
        // the snapshot: no later model would be due for it.
        const string sql = """
            WITH newest AS (SELECT last_label_id, labels_seen FROM model_versions WHERE project_id = @project ORDER BY version DESC LIMIT 1)
            SELECT p.retrain_every,
                   (SELECT count(*) FROM labels l WHERE l.project_id = p.id)
                   - coalesce((SELECT labels_seen FROM newest),
                              (SELECT count(*) FROM labels l WHERE l.project_id = p.id AND l.id <= (SELECT last_label_id FROM newest))),
                   coalesce((SELECT created_at FROM labels l WHERE l.project_id = p.id ORDER BY l.id DESC LIMIT 1) < now() - make_interval(secs => @idle), false),
                   EXISTS (SELECT 1 FROM newest),
                   EXISTS (SELECT 1 FROM items i WHERE i.project_id = p.id AND i.seed_label IS NOT NULL)
            FROM projects p
            WHERE p.id = @project
            """;
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("idle", (double)options.Value.IdleFlushSeconds);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return false;
        }

        var (retrainEvery, pending, idle, hasModel, hasSeeds) = (reader.GetInt32(0), reader.GetInt64(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetBoolean(4));
        return pending >= retrainEvery
            || (pending > 0 && idle && options.Value.IdleFlushSeconds > 0)
            || (!hasModel && (hasSeeds || pending > 0));
    }

    /// <summary>Trains and stores one version; false when the labels cannot make a model yet (fewer than two classes).</summary>
    private async Task<bool> TrainOnceAsync(Guid projectId, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var startedAt = DateTimeOffset.UtcNow;
        using var activity = PlatformTelemetry.ActivitySource.StartActivity("train project");
        activity?.SetTag("alp.project_id", projectId);

        var snapshot = await ReadSnapshotAsync(projectId, cancellationToken);
        var classes = snapshot.Labeled.Select(r => r.Label!).Distinct(StringComparer.Ordinal).Count();
        if (classes < 2)
        {
            logger.LogDebug("Project {ProjectId} has {Count} labels in {Classes} class(es); a model needs two classes", projectId, snapshot.Labeled.Count, classes);
            return false;
        }

        var schema = TrainingSchema.For(snapshot.Project, snapshot.Labeled.Concat(snapshot.PoolSample));
        var items = ItemTable.FromRows([.. snapshot.Labeled.Select(r => r.Columns)], schema.AllColumns);
        var labels = snapshot.Labeled.Select(r => r.Label!).ToArray();
        var pool = snapshot.PoolSample.Count == 0 ? null : ItemTable.FromRows([.. snapshot.PoolSample.Select(r => r.Columns)], schema.AllColumns);
        var training = new TrainingOptions { Seed = 17 };

        var seedRows = snapshot.Labeled.Select((r, i) => (r, i)).Where(p => p.r.IsSeed).Select(p => p.i).ToArray();
        var metrics = Evaluate(projectId, schema, items, labels, seedRows, training);
        var model = ProjectModel.Train(schema, items, labels, training, pool);
        var version = await StoreAsync(projectId, snapshot, model, metrics, startedAt, (int)clock.ElapsedMilliseconds, cancellationToken);

        Duration.Record(clock.Elapsed.TotalMilliseconds);
        activity?.SetTag("alp.model_version", version);
        logger.LogInformation(
            "Trained {ProjectId} v{Version} on {Labels} labels in {ElapsedMs} ms: accuracy {Accuracy:0.000}, AUC {Auc:0.000} ({Method})",
            projectId, version, labels.Length, clock.ElapsedMilliseconds, metrics.Accuracy, metrics.Auc, metrics.Method);
        return true;
    }

    /// <summary>
    /// Scores the model on the seed labels when there are enough of them (a random sample of the pool, unlike the
    /// items active learning picked, which are the hardest and would understate it); otherwise on every label.
    /// </summary>
    private ModelMetrics Evaluate(Guid projectId, FeatureSchema schema, ItemTable items, string[] labels, int[] seedRows, TrainingOptions training)
    {
        var onSeeds = seedRows.Length >= MinSeedsToEvaluateOn && seedRows.Select(i => labels[i]).Distinct(StringComparer.Ordinal).Count() >= 2;
        var method = onSeeds ? $"cv-5 scored on {seedRows.Length} seed labels"
            : items.RowCount < ModelEvaluator.CrossValidationBelow ? "cv-5" : "holdout-0.2";
        try
        {
            var result = onSeeds
                ? ModelEvaluator.CrossValidate(schema, items, labels, seedRows, training, folds: 5, seed: 17)
                : ModelEvaluator.Evaluate(schema, items, labels, training, seed: 17);
            return new ModelMetrics(result.Accuracy, result.MacroF1, result.RocAuc, result.LogLoss, method);
        }
        catch (Exception ex) when (ex is ArgumentException or DataFormatException or InvalidOperationException)
        {
            // Too few labels of a class to split: the model is still worth serving; its metrics are unknown.
            logger.LogWarning(ex, "Could not evaluate project {ProjectId}", projectId);
            return new ModelMetrics(null, null, null, null, method + " (not enough labels)");
        }
    }

    private async Task<TrainingSnapshot> ReadSnapshotAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One snapshot: the label count and the examples agree, so the next trigger counts exactly what this model
        // did not see, including a label with a lower id whose transaction commits after the snapshot.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using var state = new NpgsqlCommand(
            """
            SELECT coalesce((SELECT max(id) FROM labels WHERE project_id = @project), 0),
                   task_type, text_columns, feature_columns,
                   (SELECT count(*) FROM labels WHERE project_id = @project)
            FROM projects WHERE id = @project
            """, connection, transaction);
        state.Parameters.AddWithValue("project", projectId);
        long lastLabelId, labelsSeen;
        ProjectColumns project;
        await using (var reader = await state.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            lastLabelId = reader.GetInt64(0);
            project = new ProjectColumns(reader.GetString(1), reader.GetFieldValue<string[]>(2), reader.GetFieldValue<string[]>(3));
            labelsSeen = reader.GetInt64(4);
        }

        var labeled = await ProjectItemsReader.ReadLabeledAsync(connection, projectId, cancellationToken);
        var pool = await ProjectItemsReader.ReadUnlabeledAsync(connection, projectId, options.Value.VocabularyPoolSample, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new TrainingSnapshot(project, lastLabelId, labelsSeen, labeled, pool);
    }

    private async Task<int> StoreAsync(
        Guid projectId, TrainingSnapshot snapshot, ProjectModel model, ModelMetrics metrics, DateTimeOffset startedAt, int durationMs,
        CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var version = await db.ModelVersions.Where(m => m.ProjectId == projectId).MaxAsync(m => (int?)m.Version, cancellationToken) ?? 0;
        version++;
        var now = DateTimeOffset.UtcNow;
        db.ModelVersions.Add(new ModelVersion
        {
            ProjectId = projectId,
            Version = version,
            TrainedOnLabels = snapshot.Labeled.Count,
            LastLabelId = snapshot.LastLabelId,
            LabelsSeen = snapshot.LabelsSeen,
            Metrics = JsonSerializer.Serialize(metrics, JsonSerializerOptions.Web),
            Model = model.Serialize(),
            TrainingDurationMs = durationMs,
            TrainingStartedAt = startedAt,
            TrainedBy = Replica,
            CreatedAt = now,
        });
        db.AddOutboxMessage(new ModelTrained(projectId, version, snapshot.Labeled.Count, snapshot.LastLabelId, metrics, SchemaVersions.Current, now));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        outbox.Notify();
        return version;
    }

    private sealed record TrainingSnapshot(ProjectColumns Project, long LastLabelId, long LabelsSeen, List<ItemRow> Labeled, List<ItemRow> PoolSample);
}
