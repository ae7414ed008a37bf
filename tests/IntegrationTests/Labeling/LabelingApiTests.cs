using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ActiveLabel.IntegrationTests.Infrastructure;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Labeling;

public sealed class LabelingApiTests(LabelingFixture fixture) : IClassFixture<LabelingFixture>
{
    [Fact]
    public async Task Should_never_hand_one_item_to_two_annotators_and_answer_204_when_nothing_is_free()
    {
        var (project, items) = await fixture.ArrangeProjectAsync(2);

        var alice = await fixture.NextAsync(project, fixture.Alice);
        var bob = await fixture.NextAsync(project, fixture.Bob);
        using var nothingLeft = await fixture.SendAsync(HttpMethod.Post, $"/api/projects/{project}/next", fixture.Alice);

        Assert.Equal(items.Order(), new[] { alice!.Value, bob!.Value }.Order());
        Assert.Equal(HttpStatusCode.NoContent, nothingLeft.StatusCode);
        Assert.Equal(2L, await CountAsync("SELECT count(DISTINCT annotator) FROM item_leases WHERE item_id = ANY(@i)", items));
    }

    [Fact]
    public async Task Should_give_an_expired_lease_to_the_next_annotator()
    {
        var (project, items) = await fixture.ArrangeProjectAsync(1);
        var alice = await fixture.NextAsync(project, fixture.Alice);
        await ExpireLeaseAsync(items[0]);

        var bob = await fixture.NextAsync(project, fixture.Bob);

        Assert.Equal(items[0], alice);
        Assert.Equal(items[0], bob);
        Assert.Equal("bob", await LeaseHolderAsync(items[0]));
    }

    [Fact]
    public async Task Should_refuse_a_label_on_an_item_another_annotator_holds_and_store_nothing()
    {
        var (project, items) = await fixture.ArrangeProjectAsync(1);
        await fixture.NextAsync(project, fixture.Alice);

        using var response = await fixture.SendAsync(
            HttpMethod.Post, $"/api/projects/{project}/items/{items[0]}/labels", fixture.Bob, new { requestId = Guid.NewGuid(), label = "legit" });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("assigned to another annotator", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM labels WHERE item_id = @i", items[0]));
    }

    [Fact]
    public async Task A_skipped_item_should_go_to_others_but_never_back_to_the_annotator_who_skipped_it()
    {
        var (project, items) = await fixture.ArrangeProjectAsync(1);
        var first = await fixture.NextAsync(project, fixture.Alice);

        using var skip = await fixture.SendAsync(HttpMethod.Post, $"/api/projects/{project}/items/{first}/skip", fixture.Alice);
        var aliceNext = await fixture.NextAsync(project, fixture.Alice);
        var bobNext = await fixture.NextAsync(project, fixture.Bob);

        Assert.Equal(HttpStatusCode.NoContent, skip.StatusCode);
        Assert.Null(aliceNext);
        Assert.Equal(items[0], bobNext);
    }

    [Fact]
    public async Task Should_refuse_a_label_outside_the_set_naming_the_valid_ones()
    {
        var (project, items) = await fixture.ArrangeProjectAsync(1);

        using var response = await fixture.SendAsync(
            HttpMethod.Post, $"/api/projects/{project}/items/{items[0]}/labels", fixture.Alice, new { requestId = Guid.NewGuid(), label = "spam" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Use one of: clickbait, legit", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_annotator_should_correct_their_own_label_but_not_someone_elses()
    {
        var (project, items) = await fixture.ArrangeProjectAsync(1);
        using var created = await fixture.SendAsync(
            HttpMethod.Post, $"/api/projects/{project}/items/{items[0]}/labels", fixture.Alice, new { requestId = Guid.NewGuid(), label = "legit" });
        var labelId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        using var byBob = await fixture.SendAsync(HttpMethod.Put, $"/api/projects/{project}/labels/{labelId}", fixture.Bob, new { label = "clickbait" });
        using var byAlice = await fixture.SendAsync(HttpMethod.Put, $"/api/projects/{project}/labels/{labelId}", fixture.Alice, new { label = "clickbait", comment = "misread" });

        Assert.Equal(HttpStatusCode.NotFound, byBob.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byAlice.StatusCode);
        await using var connection = await fixture.Database.OpenConnectionAsync();
        var stored = await TestData.ReadColumnAsync(connection, $"SELECT label || '|' || comment || '|' || (updated_at IS NOT NULL) FROM labels WHERE id = {labelId}");
        Assert.Equal(["clickbait|misread|true"], stored);
    }

    [Fact]
    public async Task Export_should_list_seed_and_annotator_labels_with_the_items_content()
    {
        var (project, items) = await fixture.ArrangeProjectAsync(2);
        await using (var connection = await fixture.Database.OpenConnectionAsync())
        {
            await using var seed = new NpgsqlCommand("UPDATE items SET seed_label = 'clickbait', is_labeled = true WHERE id = @i", connection);
            seed.Parameters.AddWithValue("i", items[0]);
            await seed.ExecuteNonQueryAsync();
        }

        using var label = await fixture.SendAsync(
            HttpMethod.Post, $"/api/projects/{project}/items/{items[1]}/labels", fixture.Alice, new { requestId = Guid.NewGuid(), label = "legit" });
        using var jsonl = await fixture.SendAsync(HttpMethod.Get, $"/api/projects/{project}/export?format=jsonl", fixture.Bob);
        using var csv = await fixture.SendAsync(HttpMethod.Get, $"/api/projects/{project}/export?format=csv", fixture.Bob);

        var rows = (await jsonl.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(("seed", "clickbait", "x"), (rows[0].GetProperty("source").GetString(), rows[0].GetProperty("label").GetString(), rows[0].GetProperty("payload").GetProperty("text").GetString()));
        Assert.Equal(("annotator", "legit", "alice"), (rows[1].GetProperty("source").GetString(), rows[1].GetProperty("label").GetString(), rows[1].GetProperty("annotator").GetString()));
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("item_id,external_id,label,source,annotator,query_session_id,labeled_at,text", lines[0]);
        Assert.Equal(3, lines.Length);
    }

    [Fact]
    public async Task Status_should_count_items_labels_and_leases()
    {
        var (project, items) = await fixture.ArrangeProjectAsync(3);
        var held = await fixture.NextAsync(project, fixture.Alice);
        var free = items.First(i => i != held);
        using var label = await fixture.SendAsync(
            HttpMethod.Post, $"/api/projects/{project}/items/{free}/labels", fixture.Bob, new { requestId = Guid.NewGuid(), label = "legit" });

        using var response = await fixture.SendAsync(HttpMethod.Get, $"/api/projects/{project}/status", fixture.Bob);
        var counts = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items");

        Assert.Equal((3, 1, 2, 1), (counts.GetProperty("total").GetInt32(), counts.GetProperty("labeled").GetInt32(), counts.GetProperty("unlabeled").GetInt32(), counts.GetProperty("leased").GetInt32()));
    }

    [Fact]
    public async Task Should_serve_the_session_in_rank_order_then_the_pool_and_copy_the_query_context_into_the_label()
    {
        var (project, items) = await fixture.ArrangeProjectAsync(4);
        await using (var connection = await fixture.Database.OpenConnectionAsync())
        {
            await using var session = new NpgsqlCommand(
                """
                INSERT INTO query_sessions (project_id, session_id, model_version, strategy, query_count, created_at) VALUES (@p, 1, 3, 'least_confidence', 3, now());
                INSERT INTO queries (project_id, session_id, rank, item_id, score) VALUES (@p, 1, 1, @a, 0.9), (@p, 1, 2, @b, 0.5), (@p, 1, 3, @c, 0.2);
                """,
                connection);
            session.Parameters.AddWithValue("p", project);
            session.Parameters.AddWithValue("a", items[2]);
            session.Parameters.AddWithValue("b", items[0]);
            session.Parameters.AddWithValue("c", items[3]);
            await session.ExecuteNonQueryAsync();
        }

        var first = await fixture.NextAsync(project, fixture.Alice);
        using var label = await fixture.SendAsync(
            HttpMethod.Post, $"/api/projects/{project}/items/{first}/labels", fixture.Alice, new { requestId = Guid.NewGuid(), label = "legit" });
        var stored = await label.Content.ReadFromJsonAsync<JsonElement>();
        using var again = await fixture.SendAsync(
            HttpMethod.Post, $"/api/projects/{project}/items/{first}/labels", fixture.Alice, new { requestId = Guid.NewGuid(), label = "clickbait" });
        var served = new[] { await fixture.NextAsync(project, fixture.Bob), await fixture.NextAsync(project, fixture.Alice), await fixture.NextAsync(project, fixture.Bob) };

        Assert.Equal(items[2], first);
        Assert.Equal(HttpStatusCode.Created, label.StatusCode);
        Assert.Equal((1, "least_confidence", 1, 0.9, 3), (
            stored.GetProperty("querySessionId").GetInt32(), stored.GetProperty("queryStrategy").GetString(), stored.GetProperty("queryRank").GetInt32(),
            stored.GetProperty("queryScore").GetDouble(), stored.GetProperty("modelVersion").GetInt32()));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM queries WHERE item_id = @i AND is_labeled", items[2]));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM outbox_messages WHERE body->>'labelId' = @i::text", stored.GetProperty("id").GetInt64()));

        // A second label by the same annotator is refused, and its batch leaves nothing behind (no second event).
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM outbox_messages WHERE body->>'itemId' = @i::text", items[2]));

        // The rest of the session in rank order, then the item no session ranked.
        Assert.Equal(new long?[] { items[0], items[3], items[1] }, served);
    }

    [Fact]
    public async Task A_newer_session_should_be_served_from_its_first_rank_at_once()
    {
        // Labeling keeps the next candidates of a session in memory; a newer session must replace them immediately.
        var (project, items) = await fixture.ArrangeProjectAsync(6);
        await InsertSessionAsync(project, 1, items[0], items[1], items[2], items[3]);
        var fromFirst = await fixture.NextAsync(project, fixture.Alice);
        await InsertSessionAsync(project, 2, items[5], items[4], items[3]);

        var fromSecond = new[] { await fixture.NextAsync(project, fixture.Bob), await fixture.NextAsync(project, fixture.Bob) };

        Assert.Equal(items[0], fromFirst);
        Assert.Equal(new long?[] { items[5], items[4] }, fromSecond);
    }

    [Fact]
    public async Task A_skipped_item_should_be_the_next_one_served_to_someone_else()
    {
        var (project, items) = await fixture.ArrangeProjectAsync(5);
        await InsertSessionAsync(project, 1, items[4], items[3], items[2], items[1], items[0]);
        var aliceFirst = await fixture.NextAsync(project, fixture.Alice);
        var bobFirst = await fixture.NextAsync(project, fixture.Bob);

        using var skip = await fixture.SendAsync(HttpMethod.Post, $"/api/projects/{project}/items/{aliceFirst}/skip", fixture.Alice);
        var aliceNext = await fixture.NextAsync(project, fixture.Alice);
        var bobNext = await fixture.NextAsync(project, fixture.Bob);

        Assert.Equal((items[4], items[3]), (aliceFirst, bobFirst));
        Assert.Equal(HttpStatusCode.NoContent, skip.StatusCode);
        Assert.Equal(items[2], aliceNext);
        Assert.Equal(items[4], bobNext);
    }

    [Fact]
    public async Task Concurrent_annotators_should_get_distinct_items_from_the_top_of_the_session()
    {
        var (project, items) = await fixture.ArrangeProjectAsync(40);
        await InsertSessionAsync(project, 1, items);
        var names = Enumerable.Range(0, 20).Select(i => $"c{i}-{Guid.NewGuid():N}"[..12]).ToArray();
        var annotators = await fixture.Database.CreateAnnotatorsWithTokensAsync(names);
        await using (var connection = await fixture.Database.OpenConnectionAsync())
        {
            foreach (var name in names)
            {
                await TestData.AddMemberAsync(connection, project, name);
            }
        }

        var served = await Task.WhenAll(annotators.Select(token => fixture.NextAsync(project, token)));

        // Every one got an item, none twice, and together they hold exactly the 20 best-ranked.
        Assert.Equal(items.Take(20).Order(), served.Select(s => s!.Value).Order());
    }

    private async Task InsertSessionAsync(Guid project, int session, params long[] rankedItems)
    {
        await using var connection = await fixture.Database.OpenConnectionAsync();
        await TestData.InsertSessionAsync(connection, project, session, rankedItems);
    }

    private async Task ExpireLeaseAsync(long item)
    {
        await using var connection = await fixture.Database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("UPDATE item_leases SET expires_at = now() - interval '1 second' WHERE item_id = @i", connection);
        command.Parameters.AddWithValue("i", item);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<string?> LeaseHolderAsync(long item)
    {
        await using var connection = await fixture.Database.OpenConnectionAsync();
        return (await TestData.ReadColumnAsync(connection, $"SELECT annotator FROM item_leases WHERE item_id = {item}")).SingleOrDefault();
    }

    private Task<long> CountAsync(string sql, long item) => CountAsync(sql, (object)item);

    private async Task<long> CountAsync(string sql, object item)
    {
        await using var connection = await fixture.Database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("i", item);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
