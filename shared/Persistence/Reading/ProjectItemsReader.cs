using Npgsql;

namespace ActiveLabel.Persistence.Reading;

/// <summary>An item with its columns and, for labeled items, its label; <paramref name="IsSeed"/> when that label came with the item at ingestion.</summary>
public sealed record ItemRow(long ItemId, IReadOnlyDictionary<string, string?> Columns, string? Label, bool IsSeed = false);

/// <summary>What the Trainer and the QuerySampler read to train a model and to rank the pool.</summary>
public static class ProjectItemsReader
{
    // One example per labeled item: the newest annotator label (up to @upTo) wins over older ones and over the seed label.
    private const string LabeledSql = """
        SELECT i.id, i.payload::text, coalesce(l.label, i.seed_label), l.label IS NULL
        FROM items i
        LEFT JOIN LATERAL (SELECT label FROM labels WHERE item_id = i.id AND id <= @upTo ORDER BY id DESC LIMIT 1) l ON true
        WHERE i.project_id = @project AND i.is_labeled AND coalesce(l.label, i.seed_label) IS NOT NULL
        ORDER BY i.id
        """;

    private const string UnlabeledSql = "SELECT id, payload::text, NULL, false FROM items WHERE project_id = @project AND NOT is_labeled ORDER BY id LIMIT @limit";

    /// <summary>
    /// Every labeled item of the project with its current label; with <paramref name="upToLabelId"/>, as the labels up
    /// to that id left it (annotator labels after it are ignored, so an item labeled only after it is left out).
    /// </summary>
    public static Task<List<ItemRow>> ReadLabeledAsync(NpgsqlConnection connection, Guid projectId, CancellationToken cancellationToken, long? upToLabelId = null) =>
        ReadAsync(connection, LabeledSql, projectId, null, cancellationToken, upToLabelId ?? long.MaxValue);

    /// <summary>Unlabeled items in id order, at most <paramref name="limit"/>.</summary>
    public static Task<List<ItemRow>> ReadUnlabeledAsync(NpgsqlConnection connection, Guid projectId, int limit, CancellationToken cancellationToken) =>
        ReadAsync(connection, UnlabeledSql, projectId, limit, cancellationToken);

    private static async Task<List<ItemRow>> ReadAsync(
        NpgsqlConnection connection, string sql, Guid projectId, int? limit, CancellationToken cancellationToken, long? upToLabelId = null)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("project", projectId);
        if (upToLabelId is { } upTo)
        {
            command.Parameters.AddWithValue("upTo", upTo);
        }

        if (limit is { } l)
        {
            command.Parameters.AddWithValue("limit", l);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<ItemRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ItemRow(reader.GetInt64(0), ItemPayload.ToColumns(reader.GetString(1)), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetBoolean(3)));
        }

        return rows;
    }
}
