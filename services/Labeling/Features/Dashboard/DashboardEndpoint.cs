using System.Data.Common;
using System.Text.Json;
using ActiveLabel.Persistence;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActiveLabel.Labeling.Features.Dashboard;

/// <summary>
/// <c>GET /api/projects/{projectId}/dashboard</c>: everything the monitoring page draws, in one answer: the metric
/// history, the simulated random baseline, labels per annotator and per hour, agreement between annotators, queue
/// depth, the current session and how fresh its model is, and the stopping signal.
/// </summary>
internal static class DashboardEndpoint
{
    /// <summary>Hours in the labels-per-hour series, the current (partial) hour last.</summary>
    public const int Hours = 48;

    private const string AnnotatorsSql = """
        SELECT annotator, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY time_spent_ms)
        FROM labels WHERE project_id = @project GROUP BY annotator ORDER BY count(*) DESC, annotator
        """;

    private const string PerHourSql = """
        SELECT h.hour, count(l.id)
        FROM generate_series(date_trunc('hour', now()) - make_interval(hours => @hours - 1), date_trunc('hour', now()), interval '1 hour') AS h(hour)
        LEFT JOIN labels l ON l.project_id = @project AND l.created_at >= h.hour AND l.created_at < h.hour + interval '1 hour'
        GROUP BY h.hour ORDER BY h.hour
        """;

    // One label per (item, annotator) is a schema rule, so every row here is a distinct rater of its item.
    private const string OverlapSql = """
        SELECT item_id, annotator, label FROM labels
        WHERE project_id = @project AND item_id IN (SELECT item_id FROM labels WHERE project_id = @project GROUP BY item_id HAVING count(*) >= 2)
        ORDER BY item_id, annotator
        """;

    private const string QueueSql = """
        SELECT (SELECT count(*) FROM items WHERE project_id = @project AND NOT is_labeled),
               (SELECT count(*) FROM queries q JOIN items i ON i.id = q.item_id
                WHERE q.project_id = @project AND q.session_id = @session AND NOT i.is_labeled
                  AND NOT EXISTS (SELECT 1 FROM item_leases l WHERE l.item_id = q.item_id AND l.expires_at > now())),
               (SELECT count(*) FROM item_leases WHERE project_id = @project AND expires_at > now())
        """;

    // The Trainer holds pg_try_advisory_lock(hashtextextended('train:' || project, 0)) while it trains. A bigint
    // advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits) with objsubid 1.
    private const string FreshnessSql = """
        SELECT extract(epoch FROM now() - m.created_at)::bigint,
               (SELECT count(*) FROM labels l WHERE l.project_id = @project AND l.id > m.last_label_id)
        FROM model_versions m WHERE m.project_id = @project AND m.version = @version
        """;

    private const string TrainingSql = """
        SELECT EXISTS (
            SELECT 1 FROM pg_locks, (SELECT hashtextextended('train:' || @project::text, 0) AS key) k
            WHERE locktype = 'advisory' AND granted AND objsubid = 1
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid = ((k.key >> 32) & 4294967295)::oid AND objid = (k.key & 4294967295)::oid)
        """;

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/projects/{projectId:guid}/dashboard", DashboardAsync).RequireAuthorization(Policies.Annotate);
        return app;
    }

    private static async Task<IResult> DashboardAsync(
        Guid projectId, HttpContext http, PlatformDbContext db, NpgsqlDataSource dataSource, StoppingSignalCache stopping, CancellationToken cancellationToken)
    {
        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        var project = await db.Projects.AsNoTracking().SingleAsync(p => p.Id == projectId, cancellationToken);
        var models = await db.ModelVersions.AsNoTracking().Where(m => m.ProjectId == projectId).OrderBy(m => m.Version)
            .Select(m => new { m.Version, m.TrainedOnLabels, m.Metrics, m.CreatedAt }).ToListAsync(cancellationToken);
        var history = models.Select(m => MetricPoint.From(m.Version, m.TrainedOnLabels, m.Metrics, m.CreatedAt)).ToList();
        var baseline = await db.SimulationBaselines.AsNoTracking().Where(b => b.ProjectId == projectId)
            .Select(b => new { b.Source, b.Points, b.CreatedAt }).SingleOrDefaultAsync(cancellationToken);
        var session = await db.QuerySessions.AsNoTracking().Where(s => s.ProjectId == projectId).OrderByDescending(s => s.SessionId)
            .Select(s => new { s.SessionId, s.ModelVersion, s.Strategy, s.QueryCount, s.CreatedAt }).FirstOrDefaultAsync(cancellationToken);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var annotators = await ReadAsync(connection, AnnotatorsSql, projectId, r => new AnnotatorStats(r.GetString(0), r.GetInt64(1), r.IsDBNull(2) ? null : r.GetDouble(2)), cancellationToken);
        var perHour = await ReadAsync(connection, PerHourSql, projectId, r => new HourCount(r.GetFieldValue<DateTimeOffset>(0), r.GetInt64(1)), cancellationToken, ("hours", Hours));
        var overlaps = await ReadAsync(connection, OverlapSql, projectId, r => new RatedItem(r.GetInt64(0), r.GetString(1), r.GetString(2)), cancellationToken);
        var queue = (await ReadAsync(connection, QueueSql, projectId, r => new QueueDepth(r.GetInt64(0), session is null ? null : r.GetInt64(1), r.GetInt64(2)), cancellationToken, ("session", session?.SessionId ?? 0)))[0];
        var training = (await ReadAsync(connection, TrainingSql, projectId, r => r.GetBoolean(0), cancellationToken))[0];
        Freshness? freshness = null;
        if (session?.ModelVersion is { } sessionModel)
        {
            var row = await ReadAsync(connection, FreshnessSql, projectId, r => (Seconds: r.GetInt64(0), Labels: r.GetInt64(1)), cancellationToken, ("version", sessionModel));
            freshness = row.Count == 0 ? null : new Freshness(sessionModel, models.Count == 0 ? null : models[^1].Version, row[0].Seconds, row[0].Labels, project.RetrainEvery, training);
        }

        var signal = await stopping.GetAsync(projectId, [.. models.Select(m => m.Version)], cancellationToken);
        return Results.Ok(new ProjectDashboard(
            projectId,
            project.Name,
            history,
            baseline is null ? null : new Baseline(baseline.Source, JsonSerializer.Deserialize<JsonElement>(baseline.Points), baseline.CreatedAt),
            annotators,
            perHour,
            Agreement.Compute(overlaps),
            queue,
            session is null ? null : new CurrentSession(session.SessionId, session.ModelVersion, session.Strategy, session.QueryCount, session.CreatedAt),
            freshness ?? new Freshness(null, models.Count == 0 ? null : models[^1].Version, null, null, project.RetrainEvery, training),
            signal));
    }

    private static async Task<List<T>> ReadAsync<T>(
        NpgsqlConnection connection, string sql, Guid projectId, Func<DbDataReader, T> map, CancellationToken cancellationToken, (string Name, int Value)? parameter = null)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("project", projectId);
        if (parameter is { } p)
        {
            command.Parameters.AddWithValue(p.Name, p.Value);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(map(reader));
        }

        return rows;
    }
}

internal sealed record ProjectDashboard(
    Guid ProjectId,
    string Name,
    IReadOnlyList<MetricPoint> Metrics,
    Baseline? Baseline,
    IReadOnlyList<AnnotatorStats> Annotators,
    IReadOnlyList<HourCount> LabelsPerHour,
    AgreementReport Agreement,
    QueueDepth Queue,
    CurrentSession? CurrentSession,
    Freshness Freshness,
    StoppingSignal Stopping);

/// <summary>One model version: the labels it was trained on and its evaluation (null where the evaluation had none).</summary>
internal sealed record MetricPoint(int Version, int Labels, double? Accuracy, double? MacroF1, double? Auc, DateTimeOffset CreatedAt)
{
    public static MetricPoint From(int version, int labels, string metrics, DateTimeOffset createdAt)
    {
        using var document = JsonDocument.Parse(metrics);
        return new MetricPoint(version, labels, Number(document.RootElement, "accuracy"), Number(document.RootElement, "macroF1"), Number(document.RootElement, "auc"), createdAt);
    }

    private static double? Number(JsonElement metrics, string name) =>
        metrics.ValueKind == JsonValueKind.Object && metrics.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}

internal sealed record Baseline(string Source, JsonElement Points, DateTimeOffset CreatedAt);

/// <summary>Labels an annotator stored, and the median of the time they reported spending (null when none reported any).</summary>
internal sealed record AnnotatorStats(string Annotator, long Labels, double? MedianTimeSpentMs);

internal sealed record HourCount(DateTimeOffset Hour, long Labels);

/// <summary>
/// Unlabeled items in the project; items of the current session still to serve (neither labeled nor held; null
/// without a session); live leases.
/// </summary>
internal sealed record QueueDepth(long Unlabeled, long? SessionRemaining, long ActiveLeases);

internal sealed record CurrentSession(int SessionId, int? ModelVersion, string Strategy, int QueryCount, DateTimeOffset CreatedAt);

/// <summary>
/// How stale the ranking annotators are served from is: the model of the current session, its age and the labels
/// stored after its training snapshot (null before the first model), the newest model, and whether a training runs.
/// </summary>
internal sealed record Freshness(int? RankingModelVersion, int? NewestModelVersion, long? SecondsSinceModel, long? LabelsSinceModel, int RetrainEvery, bool TrainingRunning);

internal static class DashboardServices
{
    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<StoppingSignalCache>();
        return builder;
    }
}
