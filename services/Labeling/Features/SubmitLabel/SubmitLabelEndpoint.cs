using System.Diagnostics.Metrics;
using ActiveLabel.Contracts;
using ActiveLabel.Labeling.Features.RateLimiting;
using ActiveLabel.ServiceDefaults.Messaging;
using ActiveLabel.ServiceDefaults.Security;
using ActiveLabel.ServiceDefaults.Telemetry;
using Npgsql;

namespace ActiveLabel.Labeling.Features.SubmitLabel;

/// <summary>
/// Stores an annotator's label and, in the same transaction, the <see cref="LabelAdded"/> event (outbox). Why the
/// item was asked (session, strategy, score, rank, model version) is copied from the annotator's lease on it.
/// </summary>
internal static class SubmitLabelEndpoint
{
    /// <summary>
    /// <c>alp.labels.stored</c> ({label}): annotators' labels committed through this endpoint (retries that replay a
    /// stored label are not counted); its rate is the platform's labels per second.
    /// </summary>
    private static readonly Counter<long> Stored = PlatformTelemetry.Meter.CreateCounter<long>(
        "alp.labels.stored", "{label}", "Annotators' labels stored (new labels only, not replayed retries).");

    public static IEndpointRouteBuilder MapSubmitLabel(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/projects/{projectId:guid}/items/{itemId:long}/labels", SubmitAsync).RequireAuthorization(Policies.Annotate).RequireRateLimiting(RateLimits.PerUser);
        return app;
    }

    // A retry (the same request id) is found by the insert's unique violation and then read with this; it is rare, so
    // it is not looked up first (and a generic plan made on a young project read this by the label index).
    private const string ReplaySql = $"SELECT {LabelColumns} FROM labels WHERE project_id = @project AND request_id = @request";

    // The checks, in one round trip: membership; the label set; the item and its lease with the query context a label
    // copies from its annotator's lease; and the new label's id.
    private const string LabelSetSql = "SELECT ARRAY(SELECT name FROM project_labels WHERE project_id = @project ORDER BY position)";

    private const string ItemSql = """
        SELECT EXISTS (SELECT 1 FROM items WHERE id = @item AND project_id = @project),
               l.annotator, l.expires_at > now(), l.session_id, s.strategy, s.model_version, l.query_score, l.query_rank,
               nextval(pg_get_serial_sequence('labels', 'id'))
        FROM (SELECT 1) one
        LEFT JOIN item_leases l ON l.item_id = @item
        LEFT JOIN query_sessions s ON s.project_id = @project AND s.session_id = l.session_id AND l.annotator = @annotator
        """;

    // The write, in one round trip and one (implicit) transaction: the label, the item and its session entries marked
    // labeled, the annotator's lease ended, and the LabelAdded outbox row.
    private const string InsertSql = """
        INSERT INTO labels (id, project_id, item_id, annotator, label, request_id, query_session_id, query_strategy, query_score,
                            query_rank, model_version, time_spent_ms, comment, created_at)
        OVERRIDING SYSTEM VALUE
        VALUES (@id, @project, @item, @annotator, @label, @request, @session, @strategy, @score, @rank, @model, @time, @comment, @created)
        """;

    private const string MarkLabeledSql = "UPDATE items SET is_labeled = true WHERE id = @item AND NOT is_labeled";
    private const string MarkQueriesSql = "UPDATE queries SET is_labeled = true WHERE item_id = @item AND NOT is_labeled";
    private const string EndLeaseSql = "DELETE FROM item_leases WHERE item_id = @item AND annotator = @annotator";

    private const string LabelColumns =
        "id, item_id, label, annotator, query_session_id, query_strategy, query_score, query_rank, model_version, time_spent_ms, comment, created_at";

    private static async Task<IResult> SubmitAsync(
        Guid projectId, long itemId, SubmitLabelRequest request, HttpContext http, NpgsqlDataSource dataSource, OutboxSignal outbox,
        ILogger<SubmitLabelRequest> logger, CancellationToken cancellationToken)
    {
        if (Validate(request) is { Count: > 0 } errors)
        {
            return Results.ValidationProblem(errors, title: "The label is invalid.");
        }

        var annotator = http.User.UserId();
        var requestId = request.RequestId!.Value;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        LabelContext context;
        await using (var checks = new NpgsqlBatch(connection))
        {
            checks.BatchCommands.Add(ProjectAccess.AccessCommand(http.User, projectId));
            checks.BatchCommands.Add(Command(LabelSetSql, ("project", projectId)));
            checks.BatchCommands.Add(Command(ItemSql, ("project", projectId), ("item", itemId), ("annotator", annotator)));
            await checks.PrepareAsync(cancellationToken);
            await using var reader = await checks.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            if (!reader.GetBoolean(0))
            {
                return ProjectAccess.NotFound(projectId);
            }

            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var labelSet = reader.GetFieldValue<string[]>(0);
            if (!labelSet.Contains(request.Label, StringComparer.Ordinal))
            {
                return Problems.LabelOutsideSet(request.Label!, labelSet);
            }

            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            if (!reader.GetBoolean(0))
            {
                return Results.Problem($"Project {projectId} has no item {itemId}.", statusCode: StatusCodes.Status404NotFound);
            }

            if (!reader.IsDBNull(1) && reader.GetString(1) != annotator && reader.GetBoolean(2))
            {
                return Results.Problem(
                    $"Item {itemId} is currently assigned to another annotator (your lease on it expired or you never held one). Ask for the next item instead.",
                    statusCode: StatusCodes.Status409Conflict);
            }

            var ownLease = !reader.IsDBNull(1) && reader.GetString(1) == annotator;
            context = new LabelContext(
                reader.GetInt64(8),
                ownLease && !reader.IsDBNull(3) ? reader.GetInt32(3) : null,
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetInt32(5),
                ownLease && !reader.IsDBNull(6) ? reader.GetDouble(6) : null,
                ownLease && !reader.IsDBNull(7) ? reader.GetInt32(7) : null);
        }

        var label = new LabelResponse(
            context.LabelId, itemId, request.Label!, annotator, context.SessionId, context.Strategy, context.Score, context.Rank, context.ModelVersion,
            request.TimeSpentMs, string.IsNullOrWhiteSpace(request.Comment) ? null : request.Comment, DateTimeOffset.UtcNow);
        try
        {
            await StoreAsync(connection, projectId, requestId, label, cancellationToken);
        }
        catch (PostgresException unique) when (unique.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            if (await FindByRequestIdAsync(connection, projectId, requestId, cancellationToken) is { } stored)
            {
                return ReplayOrConflict(stored, itemId, request);
            }

            logger.LogInformation("Refused second label of item {ItemId} by {Annotator} ({Constraint})", itemId, annotator, unique.ConstraintName);
            return Results.Problem($"You already labeled item {itemId}; change that label instead.", statusCode: StatusCodes.Status409Conflict);
        }

        outbox.Notify();
        Stored.Add(1);
        // Debug: at the load the platform is sized for (1,000 labels/s) a line per label costs more than it tells;
        // the labels table and the LabelAdded event are the record.
        logger.LogDebug("Label {LabelId} on item {ItemId} of project {ProjectId} by {Annotator}", label.Id, itemId, projectId, annotator);
        return Results.Created($"/api/projects/{projectId}/labels/{label.Id}", label);
    }

    private static async Task StoreAsync(NpgsqlConnection connection, Guid projectId, Guid requestId, LabelResponse label, CancellationToken cancellationToken)
    {
        await using var write = new NpgsqlBatch(connection);
        var insert = Command(
            InsertSql,
            ("id", label.Id), ("project", projectId), ("item", label.ItemId), ("annotator", label.Annotator), ("label", label.Label), ("request", requestId),
            ("created", label.CreatedAt));
        insert.Parameters.Add(Nullable("session", NpgsqlTypes.NpgsqlDbType.Integer, label.QuerySessionId));
        insert.Parameters.Add(Nullable("strategy", NpgsqlTypes.NpgsqlDbType.Varchar, label.QueryStrategy));
        insert.Parameters.Add(Nullable("score", NpgsqlTypes.NpgsqlDbType.Double, label.QueryScore));
        insert.Parameters.Add(Nullable("rank", NpgsqlTypes.NpgsqlDbType.Integer, label.QueryRank));
        insert.Parameters.Add(Nullable("model", NpgsqlTypes.NpgsqlDbType.Integer, label.ModelVersion));
        insert.Parameters.Add(Nullable("time", NpgsqlTypes.NpgsqlDbType.Integer, label.TimeSpentMs));
        insert.Parameters.Add(Nullable("comment", NpgsqlTypes.NpgsqlDbType.Varchar, label.Comment));
        write.BatchCommands.Add(insert);
        write.BatchCommands.Add(Command(MarkLabeledSql, ("item", label.ItemId)));
        write.BatchCommands.Add(Command(MarkQueriesSql, ("item", label.ItemId)));
        write.BatchCommands.Add(Command(EndLeaseSql, ("item", label.ItemId), ("annotator", label.Annotator)));
        write.BatchCommands.Add(Outbox.OutboxCommand(new LabelAdded(
            projectId, label.Id, label.ItemId, label.Label, label.Annotator, label.QuerySessionId, SchemaVersions.Current, label.CreatedAt)));
        await write.PrepareAsync(cancellationToken);
        await write.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<LabelResponse?> FindByRequestIdAsync(NpgsqlConnection connection, Guid projectId, Guid requestId, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { Command(ReplaySql, ("project", projectId), ("request", requestId)) } };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadLabel(reader) : null;
    }

    private static NpgsqlBatchCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private static NpgsqlParameter Nullable(string name, NpgsqlTypes.NpgsqlDbType type, object? value) => new(name, type) { Value = value ?? DBNull.Value };

    private static LabelResponse ReadLabel(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3),
        r.IsDBNull(4) ? null : r.GetInt32(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetDouble(6),
        r.IsDBNull(7) ? null : r.GetInt32(7), r.IsDBNull(8) ? null : r.GetInt32(8), r.IsDBNull(9) ? null : r.GetInt32(9),
        r.IsDBNull(10) ? null : r.GetString(10), r.GetFieldValue<DateTimeOffset>(11));

    /// <summary>What a new label copies from its annotator's lease, and its id (taken from the sequence with the checks).</summary>
    private sealed record LabelContext(long LabelId, int? SessionId, string? Strategy, int? ModelVersion, double? Score, int? Rank);

    /// <summary>
    /// A retry gets the stored label back; the same requestId with another item or label is a client bug (a reused
    /// id), and answering 200 would tell it a label was stored that was not.
    /// </summary>
    private static IResult ReplayOrConflict(LabelResponse stored, long itemId, SubmitLabelRequest request) =>
        stored.ItemId == itemId && stored.Label == request.Label
            ? Results.Ok(stored)
            : Results.Problem(
                $"requestId {request.RequestId} was already used for label '{stored.Label}' on item {stored.ItemId}; send a new requestId for a new label, " +
                $"or change that label with PUT /api/projects/{{projectId}}/labels/{stored.Id}.",
                statusCode: StatusCodes.Status409Conflict);

    private static Dictionary<string, string[]> Validate(SubmitLabelRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.RequestId is null || request.RequestId == Guid.Empty)
        {
            errors["requestId"] = ["Send a requestId (a new UUID per label, reused on retries) so a retry is never counted twice."];
        }

        if (string.IsNullOrEmpty(request.Label))
        {
            errors["label"] = ["label is required."];
        }

        if (request.TimeSpentMs is < 0 or > 86_400_000)
        {
            errors["timeSpentMs"] = ["timeSpentMs must be between 0 and 86,400,000 (one day)."];
        }

        if (request.Comment is { Length: > 2000 })
        {
            errors["comment"] = ["A comment is at most 2,000 characters."];
        }

        return errors;
    }
}
