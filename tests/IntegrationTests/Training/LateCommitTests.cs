using ActiveLabel.Contracts;
using ActiveLabel.IntegrationTests.Infrastructure;
using ActiveLabel.IntegrationTests.Messaging;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Training;

/// <summary>
/// Label ids are taken when a label is inserted, not when it commits: a training snapshot can hold a label with a
/// higher id and miss one with a lower id still in flight. That label must still make the next model due.
/// </summary>
public sealed class LateCommitTests(TrainerAndSamplerFixture stack) : IClassFixture<TrainerAndSamplerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_label_committed_after_a_snapshot_that_holds_a_newer_label_should_still_be_trained_on()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        await using var probe = await AmqpProbe.ConnectAsync(stack.VirtualHost.Name);
        var project = await TestData.InsertProjectAsync(connection, "late-commit");
        await using (var every = new NpgsqlCommand("UPDATE projects SET retrain_every = 1 WHERE id = @p", connection))
        {
            every.Parameters.AddWithValue("p", project);
            await every.ExecuteNonQueryAsync();
        }

        var items = new List<long>();
        foreach (var text in new[] { "council approves budget", "you will not believe this trick", "minister resigns", "ten secrets doctors hide" })
        {
            items.Add(await TestData.InsertItemAsync(connection, project, text, System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text))));
        }

        await AddLabelAsync(connection, probe, project, items[0], "legit");
        await AddLabelAsync(connection, probe, project, items[1], "clickbait");
        await WaitForModelAsync(connection, project, labelsSeen: 2);

        // A label whose transaction is still open when a newer one commits and is trained on.
        await using var slow = await stack.Database.OpenConnectionAsync();
        await using var slowTransaction = await slow.BeginTransactionAsync();
        var lateId = await InsertLabelAsync(slow, slowTransaction, project, items[2], "legit");
        var newerId = await AddLabelAsync(connection, probe, project, items[3], "clickbait");
        await WaitForModelAsync(connection, project, labelsSeen: 3);
        Assert.True(lateId < newerId);

        await slowTransaction.CommitAsync();
        await probe.PublishAsync("LabelAdded", LabelAdded(project, lateId, items[2], "legit"));

        await WaitForModelAsync(connection, project, labelsSeen: 4);
    }

    private static async Task<long> AddLabelAsync(NpgsqlConnection connection, AmqpProbe probe, Guid project, long item, string label)
    {
        var id = await InsertLabelAsync(connection, null, project, item, label);
        await probe.PublishAsync("LabelAdded", LabelAdded(project, id, item, label));
        return id;
    }

    private static async Task<long> InsertLabelAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid project, long item, string label)
    {
        await using var command = new NpgsqlCommand(
            """
            UPDATE items SET is_labeled = true WHERE id = @item;
            INSERT INTO labels (project_id, item_id, annotator, label, request_id, created_at) VALUES (@p, @item, 'ann', @label, gen_random_uuid(), now()) RETURNING id
            """, connection, transaction);
        command.Parameters.AddWithValue("p", project);
        command.Parameters.AddWithValue("item", item);
        command.Parameters.AddWithValue("label", label);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static LabelAdded LabelAdded(Guid project, long label, long item, string value) =>
        new(project, label, item, value, "ann", null, SchemaVersions.Current, DateTimeOffset.UtcNow);

    private static async Task WaitForModelAsync(NpgsqlConnection connection, Guid project, long labelsSeen)
    {
        await Wait.UntilAsync(async () =>
        {
            await using var command = new NpgsqlCommand("SELECT labels_seen FROM model_versions WHERE project_id = @p ORDER BY version DESC LIMIT 1", connection);
            command.Parameters.AddWithValue("p", project);
            return await command.ExecuteScalarAsync() is long seen && seen == labelsSeen;
        }, Timeout, $"a model trained on {labelsSeen} labels");
    }
}
