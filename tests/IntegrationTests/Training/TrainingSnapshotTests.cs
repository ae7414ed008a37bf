using ActiveLabel.IntegrationTests.Infrastructure;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Training;

/// <summary>
/// Label ids are handed out at insert and become visible at commit, in any order. Found by scripts/fault-test: under
/// load, models recorded labels up to an id as trained on while a lower-id label committed later was never in them,
/// and the retrain trigger (labels after the newest model's id) never counted it.
/// </summary>
public sealed class TrainingSnapshotTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);
    private TestDatabase _database = null!;
    private TestVirtualHost _virtualHost = null!;
    private ServiceProcess _trainer = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateMigratedAsync();
        _virtualHost = await TestVirtualHost.CreateAsync();
        // The sweep is the only trigger here (no LabelAdded is published), and no idle flush may hide a skipped label.
        _trainer = await ServiceProcess.StartAsync("Trainer", _database.ConnectionString, _virtualHost.Name, environment: new Dictionary<string, string>
        {
            ["Trainer__SweepSeconds"] = "1",
            ["Trainer__IdleFlushSeconds"] = "0",
        });
    }

    public async Task DisposeAsync()
    {
        await _trainer.DisposeAsync();
        await _virtualHost.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_label_that_commits_after_a_higher_id_should_be_in_the_next_model()
    {
        await using var connection = await _database.OpenConnectionAsync();
        var project = await TestData.InsertProjectAsync(connection, "late-commit");
        await ExecuteAsync(connection, $"UPDATE projects SET retrain_every = 1 WHERE id = '{project}'");
        var seeds = new[] { ("You won't believe this trick", "clickbait"), ("Ten facts that will shock you", "clickbait"), ("Senate passes the budget bill", "legit"), ("Court rules on the merger", "legit") };
        foreach (var (text, label) in seeds)
        {
            await InsertItemAsync(connection, project, text, label);
        }

        var early = await InsertItemAsync(connection, project, "This one weird cat", null);
        var late = await InsertItemAsync(connection, project, "Markets close higher on Friday", null);
        await Wait.UntilAsync(async () => await NewestModelAsync(connection, project) is { TrainedOn: 4 }, Timeout, "the first model, on the seed labels");

        // A label gets the lower id but stays uncommitted while a label with a higher id commits.
        await using var slow = await _database.OpenConnectionAsync();
        await using (var transaction = await slow.BeginTransactionAsync())
        {
            await LabelAsync(slow, project, early, "clickbait");
            await LabelAsync(connection, project, late, "legit");
            await Wait.UntilAsync(
                async () => await NewestModelAsync(connection, project) is { Version: > 1 } || await IsWaitingForLabelsLockAsync(connection),
                Timeout, "the Trainer to train on the committed label, or to wait for the open one");
            await transaction.CommitAsync();
        }

        await Wait.UntilAsync(async () => await NewestModelAsync(connection, project) is { TrainedOn: 6 }, Timeout, "a model trained on both labels");
        var mismatched = await TestData.ReadColumnAsync(connection, $"""
            SELECT m.version::text FROM model_versions m
            WHERE m.project_id = '{project}' AND m.trained_on_labels <> (
                SELECT count(*) FROM items i WHERE i.project_id = m.project_id
                  AND (i.seed_label IS NOT NULL OR EXISTS (SELECT 1 FROM labels l WHERE l.item_id = i.id AND l.id <= m.last_label_id)))
            """);
        Assert.Empty(mismatched); // Every model was trained on exactly the labels up to its last label id.
    }

    private static async Task<long> InsertItemAsync(NpgsqlConnection connection, Guid project, string text, string? seedLabel)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO items (project_id, external_id, content_hash, payload, seed_label, is_labeled, created_at)
            VALUES (@p, @e, sha256(convert_to(@e, 'UTF8')), jsonb_build_object('text', @e), @seed, @seed IS NOT NULL, now()) RETURNING id
            """, connection);
        command.Parameters.AddWithValue("p", project);
        command.Parameters.AddWithValue("e", text);
        command.Parameters.Add(new NpgsqlParameter("seed", NpgsqlTypes.NpgsqlDbType.Varchar) { Value = (object?)seedLabel ?? DBNull.Value });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task LabelAsync(NpgsqlConnection connection, Guid project, long item, string label)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO labels (project_id, item_id, annotator, label, request_id, created_at) VALUES (@p, @i, 'ann1', @l, gen_random_uuid(), now());
            UPDATE items SET is_labeled = true WHERE id = @i;
            """, connection);
        command.Parameters.AddWithValue("p", project);
        command.Parameters.AddWithValue("i", item);
        command.Parameters.AddWithValue("l", label);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<(int Version, int TrainedOn)?> NewestModelAsync(NpgsqlConnection connection, Guid project)
    {
        await using var command = new NpgsqlCommand("SELECT version, trained_on_labels FROM model_versions WHERE project_id = @p ORDER BY version DESC LIMIT 1", connection);
        command.Parameters.AddWithValue("p", project);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt32(0), reader.GetInt32(1)) : null;
    }

    private static async Task<bool> IsWaitingForLabelsLockAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'relation' AND relation = 'labels'::regclass AND NOT granted
                             AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
            """, connection);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
