using System.Net;
using System.Text.Json;
using ActiveLabel.IntegrationTests.Infrastructure;
using ActiveLabel.IntegrationTests.Labeling;
using Npgsql;

namespace ActiveLabel.IntegrationTests.BadInput;

/// <summary>
/// Bad requests to the annotator API of Labeling: labels outside the set, unknown projects and items, an expired
/// lease, out-of-range fields and paging values, JSON of the wrong shape, the wrong role, and SQL and HTML in text
/// (stored and returned verbatim as data). Each refusal names what to fix and leaves every table as it was.
/// </summary>
public sealed class AnnotatorApiBadInputTests(LabelingFixture fixture) : IClassFixture<LabelingFixture>, IAsyncLifetime
{
    private NpgsqlConnection _connection = null!;

    public async Task InitializeAsync() => _connection = await fixture.Database.OpenConnectionAsync();

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    [Fact]
    public async Task Label_not_in_the_project_set_should_be_400_listing_the_labels_and_store_nothing()
    {
        var (project, items, before) = await ArrangeAsync();

        using var response = await PostLabelAsync(project, items[0], fixture.Alice, new { requestId = Guid.NewGuid(), label = "spam" });

        Assert.Equal("'spam' is not a label of this project. Use one of: clickbait, legit.", await Answers.FieldErrorAsync(response, "label"));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Label_on_an_unknown_item_should_be_404_naming_project_and_item()
    {
        var (project, _, before) = await ArrangeAsync();

        using var response = await PostLabelAsync(project, 987_654_321, fixture.Alice, new { requestId = Guid.NewGuid(), label = "legit" });

        Assert.Equal($"Project {project} has no item 987654321.", await Answers.DetailAsync(response, HttpStatusCode.NotFound));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Label_on_an_item_of_another_project_should_be_404_like_an_unknown_item()
    {
        var (project, _, _) = await ArrangeAsync();
        var (_, otherItems, before) = await ArrangeAsync();

        using var response = await PostLabelAsync(project, otherItems[0], fixture.Alice, new { requestId = Guid.NewGuid(), label = "legit" });

        Assert.Equal($"Project {project} has no item {otherItems[0]}.", await Answers.DetailAsync(response, HttpStatusCode.NotFound));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Next_item_of_an_unknown_project_should_be_404_naming_it()
    {
        var (_, _, before) = await ArrangeAsync();
        var unknown = Guid.NewGuid();

        using var response = await fixture.SendAsync(HttpMethod.Post, $"/api/projects/{unknown}/next", fixture.Alice);

        Assert.Equal($"No project {unknown}, or you are not a member of it.", await Answers.DetailAsync(response, HttpStatusCode.NotFound));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Project_id_that_is_not_a_UUID_should_be_404_saying_what_ids_look_like()
    {
        var (_, _, before) = await ArrangeAsync();

        using var response = await fixture.SendAsync(HttpMethod.Post, "/api/projects/clickbait/next", fixture.Alice);

        Assert.Equal(
            "Nothing at POST /api/projects/clickbait/next: check the address (project ids are UUIDs, item and label ids are numbers).",
            await Answers.DetailAsync(response, HttpStatusCode.NotFound));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Label_after_the_lease_expired_and_went_to_another_annotator_should_be_409()
    {
        var (project, items) = await fixture.ArrangeProjectAsync(1);
        Assert.Equal(items[0], await fixture.NextAsync(project, fixture.Alice));
        await ExecuteAsync($"UPDATE item_leases SET expires_at = now() - interval '1 second' WHERE item_id = {items[0]}");
        Assert.Equal(items[0], await fixture.NextAsync(project, fixture.Bob));
        var before = await DataSnapshot.TakeAsync(_connection);

        using var response = await PostLabelAsync(project, items[0], fixture.Alice, new { requestId = Guid.NewGuid(), label = "legit" });

        Assert.Equal(
            $"Item {items[0]} is currently assigned to another annotator (your lease on it expired or you never held one). Ask for the next item instead.",
            await Answers.DetailAsync(response, HttpStatusCode.Conflict));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Negative_timeSpentMs_should_be_400_with_the_range()
    {
        var (project, items, before) = await ArrangeAsync();

        using var response = await PostLabelAsync(project, items[0], fixture.Alice, new { requestId = Guid.NewGuid(), label = "legit", timeSpentMs = -1 });

        Assert.Equal("timeSpentMs must be between 0 and 86,400,000 (one day).", await Answers.FieldErrorAsync(response, "timeSpentMs"));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Comment_over_2000_characters_should_be_400_with_the_limit()
    {
        var (project, items, before) = await ArrangeAsync();

        using var response = await PostLabelAsync(project, items[0], fixture.Alice, new { requestId = Guid.NewGuid(), label = "legit", comment = new string('c', 2001) });

        Assert.Equal("A comment is at most 2,000 characters.", await Answers.FieldErrorAsync(response, "comment"));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Label_without_a_requestId_should_be_400_explaining_what_it_is_for()
    {
        var (project, items, before) = await ArrangeAsync();

        using var response = await PostLabelAsync(project, items[0], fixture.Alice, new { label = "legit" });

        Assert.StartsWith("Send a requestId (a new UUID per label, reused on retries)", await Answers.FieldErrorAsync(response, "requestId"), StringComparison.Ordinal);
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Reused_requestId_with_a_different_label_should_be_409_and_keep_the_first_label()
    {
        var (project, items, _) = await ArrangeAsync();
        var requestId = Guid.NewGuid();
        using var first = await PostLabelAsync(project, items[0], fixture.Alice, new { requestId, label = "legit" });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var labelId = (await JsonSerializer.DeserializeAsync<JsonElement>(await first.Content.ReadAsStreamAsync())).GetProperty("id").GetInt64();
        var before = await DataSnapshot.TakeAsync(_connection);

        using var response = await PostLabelAsync(project, items[0], fixture.Alice, new { requestId, label = "clickbait" });

        Assert.Equal(
            $"requestId {requestId} was already used for label 'legit' on item {items[0]}; send a new requestId for a new label, " +
            $"or change that label with PUT /api/projects/{{projectId}}/labels/{labelId}.",
            await Answers.DetailAsync(response, HttpStatusCode.Conflict));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Label_of_the_wrong_JSON_type_should_be_400_naming_the_field()
    {
        var (project, items, before) = await ArrangeAsync();

        using var response = await SendRawAsync(HttpMethod.Post, $"/api/projects/{project}/items/{items[0]}/labels", $$"""{"requestId": "{{Guid.NewGuid()}}", "label": 5}""");

        var detail = await Answers.DetailAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith("The JSON body has a value of the wrong type at $.label", detail, StringComparison.Ordinal);
        Assert.EndsWith("expected a string, not a number.", detail, StringComparison.Ordinal);
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Label_sent_as_plain_text_should_be_415_asking_for_JSON()
    {
        var (project, items, before) = await ArrangeAsync();

        using var response = await SendRawAsync(HttpMethod.Post, $"/api/projects/{project}/items/{items[0]}/labels", "legit", "text/plain");

        Assert.Equal("Send the body as JSON with Content-Type: application/json, not 'text/plain'.", await Answers.DetailAsync(response, HttpStatusCode.UnsupportedMediaType));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1000000")]
    public async Task PageSize_out_of_range_should_be_400_with_the_range(string pageSize)
    {
        var (project, _, before) = await ArrangeAsync();

        using var response = await fixture.SendAsync(HttpMethod.Get, $"/api/projects/{project}/labels?pageSize={pageSize}", fixture.Alice);

        Assert.Equal("pageSize must be between 1 and 100.", await Answers.FieldErrorAsync(response, "pageSize"));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task PageSize_beyond_an_integer_should_be_400_naming_the_parameter()
    {
        var (project, _, before) = await ArrangeAsync();

        using var response = await fixture.SendAsync(HttpMethod.Get, $"/api/projects/{project}/labels?pageSize=99999999999", fixture.Alice);

        Assert.Equal("Parameter 'pageSize' must be an integer within range; '99999999999' is not.", await Answers.DetailAsync(response, HttpStatusCode.BadRequest));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Negative_paging_cursor_should_be_400_saying_where_it_comes_from()
    {
        var (project, _, before) = await ArrangeAsync();

        using var response = await fixture.SendAsync(HttpMethod.Get, $"/api/projects/{project}/labels?before=-5", fixture.Alice);

        Assert.Equal("before is a label id from the previous page's nextBefore.", await Answers.FieldErrorAsync(response, "before"));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Export_in_an_unknown_format_should_be_400_naming_the_formats()
    {
        var (project, _, before) = await ArrangeAsync();

        using var response = await fixture.SendAsync(HttpMethod.Get, $"/api/projects/{project}/export?format=xml", fixture.Alice);

        Assert.Equal("format must be jsonl or csv.", await Answers.FieldErrorAsync(response, "format"));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task SQL_in_a_comment_should_be_stored_and_returned_verbatim_as_data()
    {
        var (project, items, before) = await ArrangeAsync();
        const string sql = "'; DROP TABLE labels; SELECT * FROM users WHERE '1'='1";

        using var created = await PostLabelAsync(project, items[0], fixture.Alice, new { requestId = Guid.NewGuid(), label = "legit", comment = sql });
        using var listed = await fixture.SendAsync(HttpMethod.Get, $"/api/projects/{project}/labels", fixture.Alice);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var page = await JsonSerializer.DeserializeAsync<JsonElement>(await listed.Content.ReadAsStreamAsync());
        Assert.Equal(sql, page.GetProperty("labels")[0].GetProperty("comment").GetString());
        Assert.Equal([sql], await TestData.ReadColumnAsync(_connection, $"SELECT comment FROM labels WHERE item_id = {items[0]}"));
        await DataSnapshot.AssertUnchangedAsync(_connection, before, "labels", "items", "outbox_messages");
    }

    [Fact]
    public async Task HTML_in_a_comment_should_be_stored_verbatim_and_returned_as_a_JSON_string_never_markup()
    {
        var (project, items, before) = await ArrangeAsync();
        const string html = "<script>alert('x')</script><b onmouseover=\"steal()\">hi</b>";

        using var created = await PostLabelAsync(project, items[0], fixture.Alice, new { requestId = Guid.NewGuid(), label = "legit", comment = html });
        using var listed = await fixture.SendAsync(HttpMethod.Get, $"/api/projects/{project}/labels", fixture.Alice);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("application/json", listed.Content.Headers.ContentType?.MediaType);
        var raw = await listed.Content.ReadAsStringAsync();
        Assert.Equal(html, JsonDocument.Parse(raw).RootElement.GetProperty("labels")[0].GetProperty("comment").GetString());
        Assert.Equal([html], await TestData.ReadColumnAsync(_connection, $"SELECT comment FROM labels WHERE item_id = {items[0]}"));
        await DataSnapshot.AssertUnchangedAsync(_connection, before, "labels", "items", "outbox_messages");
    }

    [Fact]
    public async Task Label_from_an_ingest_client_should_be_403_naming_its_role()
    {
        var feeder = await fixture.Database.CreateUserWithTokenAsync("feeder-" + Guid.NewGuid().ToString("N")[..6], "ingest");
        var (project, items, before) = await ArrangeAsync();

        using var response = await PostLabelAsync(project, items[0], feeder, new { requestId = Guid.NewGuid(), label = "legit" });

        Assert.Equal(
            "Your role (ingest) may not do this; ask an administrator for a token with the role it needs.",
            await Answers.DetailAsync(response, HttpStatusCode.Forbidden));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Label_with_a_revoked_token_should_be_401_saying_so()
    {
        var user = "gone-" + Guid.NewGuid().ToString("N")[..6];
        var token = await fixture.Database.CreateUserWithTokenAsync(user, "annotator");
        await fixture.Database.RunAdminAsync("tokens", "revoke", "--user", user);
        var (project, items, before) = await ArrangeAsync();

        using var response = await PostLabelAsync(project, items[0], token, new { requestId = Guid.NewGuid(), label = "legit" });

        Assert.Equal(
            "The token is unknown, expired or revoked. Send 'Authorization: Bearer <token>' with a valid API token.",
            await Answers.DetailAsync(response, HttpStatusCode.Unauthorized));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Giving_back_a_lease_one_does_not_hold_should_be_404()
    {
        var (project, items, before) = await ArrangeAsync();

        using var response = await fixture.SendAsync(HttpMethod.Delete, $"/api/projects/{project}/items/{items[0]}/lease", fixture.Alice);

        Assert.Equal($"You hold no lease on item {items[0]}.", await Answers.DetailAsync(response, HttpStatusCode.NotFound));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Correction_with_neither_label_nor_comment_should_be_400_saying_what_to_send()
    {
        var (project, items, _) = await ArrangeAsync();
        using var created = await PostLabelAsync(project, items[0], fixture.Alice, new { requestId = Guid.NewGuid(), label = "legit" });
        var labelId = (await JsonSerializer.DeserializeAsync<JsonElement>(await created.Content.ReadAsStreamAsync())).GetProperty("id").GetInt64();
        var before = await DataSnapshot.TakeAsync(_connection);

        using var response = await fixture.SendAsync(HttpMethod.Put, $"/api/projects/{project}/labels/{labelId}", fixture.Alice, new { });

        Assert.Equal("Send a new label, a comment, or both.", await Answers.FieldErrorAsync(response, "label"));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    [Fact]
    public async Task Skipping_an_unknown_item_should_be_404_naming_it()
    {
        var (project, _, before) = await ArrangeAsync();

        using var response = await fixture.SendAsync(HttpMethod.Post, $"/api/projects/{project}/items/123456789/skip", fixture.Alice);

        Assert.Equal($"Project {project} has no item 123456789.", await Answers.DetailAsync(response, HttpStatusCode.NotFound));
        await DataSnapshot.AssertUnchangedAsync(_connection, before);
    }

    private async Task<(Guid Project, long[] Items, DataSnapshot Before)> ArrangeAsync()
    {
        var (project, items) = await fixture.ArrangeProjectAsync(2);
        return (project, items, await DataSnapshot.TakeAsync(_connection));
    }

    private Task<HttpResponseMessage> PostLabelAsync(Guid project, long item, string token, object body) =>
        fixture.SendAsync(HttpMethod.Post, $"/api/projects/{project}/items/{item}/labels", token, body);

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, string body, string contentType = "application/json")
    {
        using var request = Answers.Raw(method, path, fixture.Alice, body, contentType);
        return await fixture.Labeling.Http.SendAsync(request);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = new NpgsqlCommand(sql, _connection);
        await command.ExecuteNonQueryAsync();
    }
}
