using Npgsql;

namespace ActiveLabel.IntegrationTests.BadInput;

/// <summary>
/// Row count and checksum of every table in a test database, to show that a refused request wrote nothing: not a
/// row, not a partial batch, not an outbox event. Columns the outbox relay updates in the background (when it sends
/// an earlier test's event) are left out, so only what a request could have written is compared.
/// </summary>
internal sealed record DataSnapshot(IReadOnlyDictionary<string, (long Rows, string Checksum)> Tables)
{
    private static readonly string[] BackgroundColumns = ["dispatched_at", "attempts", "last_error"];

    public static async Task<DataSnapshot> TakeAsync(NpgsqlConnection connection)
    {
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var result = new SortedDictionary<string, (long, string)>(StringComparer.Ordinal);
        var dropped = string.Join(" - ", BackgroundColumns.Select(c => $"'{c}'"));
        foreach (var table in tables)
        {
            await using var command = new NpgsqlCommand(
                $"""SELECT count(*), coalesce(md5(string_agg(r, E'\n' ORDER BY r)), '') FROM (SELECT (to_jsonb(t) - {dropped})::text AS r FROM "{table}" t) rows""",
                connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            result[table] = (reader.GetInt64(0), reader.GetString(1));
        }

        return new DataSnapshot(result);
    }

    /// <summary>Fails naming every table whose rows differ from <paramref name="before"/>, except the ones <paramref name="expected"/> to change.</summary>
    public static async Task AssertUnchangedAsync(NpgsqlConnection connection, DataSnapshot before, params string[] expected)
    {
        var after = await TakeAsync(connection);
        var changed = after.Tables.Keys.Union(before.Tables.Keys)
            .Where(t => !expected.Contains(t) && before.Tables.GetValueOrDefault(t) != after.Tables.GetValueOrDefault(t))
            .Select(t => $"{t} ({before.Tables.GetValueOrDefault(t).Rows} -> {after.Tables.GetValueOrDefault(t).Rows} rows)")
            .ToList();
        Assert.True(changed.Count == 0, "The refused request changed data: " + string.Join(", ", changed));
    }
}
