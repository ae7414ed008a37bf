using System.Net;
using System.Text.Json;
using ActiveLabel.IntegrationTests.Infrastructure;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Ingestion;

/// <summary><c>POST /api/projects/{id}/items</c> on the real Ingestion process and database.</summary>
[Collection(IngestionTests.Name)]
public sealed class UploadItemsTests(IngestionFixture stack)
{
    private const string Csv = "text/csv";

    [Fact]
    public async Task Csv_upload_should_store_items_with_seed_labels_and_skip_duplicates_within_the_file()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);
        const string file = "text,label,source\r\nYou won't believe this,clickbait,feed-a\r\nRates rise,,feed-b\r\n\"Quoted, with comma\nand a line break\",legit,feed-c\r\n  You won't believe this ,legit,feed-d\r\n";

        using var response = await stack.UploadAsync(project, file, Csv, "?labelColumn=label");

        var body = await ReadAsync<UploadBody>(response, HttpStatusCode.OK);
        Assert.Equal((4, 3, 1, 0, 2), (body.Received, body.Inserted, body.Duplicates, body.Rejected, body.SeedLabels));
        var rows = await ItemsAsync(connection, project);
        Assert.Equal(3, rows.Count);
        // The first of two equal texts wins, with its label and extra columns; the label is not part of the payload.
        var first = rows.Single(r => r.Payload.Contains("believe", StringComparison.Ordinal));
        Assert.Equal(("clickbait", true), (first.SeedLabel, first.IsLabeled));
        // jsonb stores keys shorter-first, whatever order they were written in.
        Assert.Equal("""{"text": "You won't believe this", "source": "feed-a"}""", first.Payload);
        Assert.Equal(64, first.ExternalId.Length);
        Assert.Contains(rows, r => r.Payload == """{"text": "Quoted, with comma\nand a line break", "source": "feed-c"}""" && r.SeedLabel == "legit");
        Assert.Contains(rows, r => r.SeedLabel is null && !r.IsLabeled);
    }

    [Fact]
    public async Task Jsonl_and_text_uploads_should_skip_content_already_in_the_project()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);
        const string jsonl = """
            {"id": "j-1", "text": "one", "label": "legit", "score": 0.5}

            {"id": "j-2", "text": "two", "label": null}
            """;

        using var first = await stack.UploadAsync(project, jsonl, "application/x-ndjson", "?labelColumn=label&idColumn=id");
        using var second = await stack.UploadAsync(project, "one\n\n  two  \nthree\n", "text/plain");

        var firstBody = await ReadAsync<UploadBody>(first, HttpStatusCode.OK);
        Assert.Equal((2, 2, 0, 0, 1), (firstBody.Received, firstBody.Inserted, firstBody.Duplicates, firstBody.Rejected, firstBody.SeedLabels));
        Assert.Equal((3, 1, 2, 0), Counts(await ReadAsync<UploadBody>(second, HttpStatusCode.OK)));
        var rows = await ItemsAsync(connection, project);
        Assert.Equal(["j-1", "j-2"], rows.Where(r => r.ExternalId.StartsWith("j-", StringComparison.Ordinal)).Select(r => r.ExternalId).Order());
        Assert.Equal("""{"text": "one", "score": "0.5"}""", rows.Single(r => r.ExternalId == "j-1").Payload);
        Assert.Equal(3, rows.Count);
    }

    [Fact]
    public async Task All_or_nothing_upload_should_store_nothing_and_name_each_bad_row_column_and_reason()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);
        const string file = "text,label\nfine,clickbait\nalso fine,\nbad label,spam\n   ,legit\nstray \"quote,legit\nshort\n";

        using var response = await stack.UploadAsync(project, file, Csv, "?labelColumn=label");

        var problem = await ReadAsync<ProblemBody>(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal((6, 4), (problem.Received, problem.Rejected));
        Assert.Equal(4, problem.Errors[0].Row);
        Assert.Equal("label", problem.Errors[0].Column);
        Assert.Contains("'spam' is not a label of this project; use one of: clickbait, legit", problem.Errors[0].Reason, StringComparison.Ordinal);
        Assert.Equal((5L, "text"), (problem.Errors[1].Row, problem.Errors[1].Column));
        Assert.Contains("empty", problem.Errors[1].Reason, StringComparison.Ordinal);
        Assert.Equal((6L, "text"), (problem.Errors[2].Row, problem.Errors[2].Column));
        Assert.Contains("quote", problem.Errors[2].Reason, StringComparison.Ordinal);
        Assert.Equal(7L, problem.Errors[3].Row);
        Assert.Contains("has 1 fields; the header has 2", problem.Errors[3].Reason, StringComparison.Ordinal);
        Assert.Contains("onError=skip", problem.Detail, StringComparison.Ordinal);
        Assert.Equal(0, await IngestionFixture.CountItemsAsync(connection, project));
        Assert.Equal(0, await OutboxCountAsync(connection, project));
    }

    [Fact]
    public async Task Skip_mode_should_store_exactly_the_valid_rows_and_report_the_others()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);
        const string file = "text,label\nfine,clickbait\nbad label,spam\nalso fine,\n\"never closed,legit\n";

        using var response = await stack.UploadAsync(project, file, Csv, "?labelColumn=label&onError=skip");

        var body = await ReadAsync<UploadBody>(response, HttpStatusCode.OK);
        Assert.Equal((4, 2, 0, 2), Counts(body));
        Assert.Equal([3L, 5L], body.Errors.Select(e => e.Row));
        Assert.Contains("never closed", body.Errors[1].Reason, StringComparison.Ordinal);
        var texts = (await ItemsAsync(connection, project)).Select(r => r.Payload).Order();
        Assert.Equal(["""{"text": "also fine"}""", """{"text": "fine"}"""], texts);
    }

    [Fact]
    public async Task Should_name_the_missing_column_and_list_the_file_columns()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await InsertTabularProjectAsync(connection);

        using var missingFeature = await stack.UploadAsync(project, "age,city\n31,Oslo\n", Csv);
        using var missingLabel = await stack.UploadAsync(project, "age,income\n31,1000\n", Csv, "?labelColumn=outcome");

        var problem = await ReadAsync<ProblemBody>(missingFeature, HttpStatusCode.UnprocessableEntity);
        var error = Assert.Single(problem.Errors);
        Assert.Equal((1L, "income"), (error.Row, error.Column));
        Assert.Equal("missing column 'income'; the file has columns: age, city.", error.Reason);
        Assert.Equal("outcome", Assert.Single((await ReadAsync<ProblemBody>(missingLabel, HttpStatusCode.UnprocessableEntity)).Errors).Column);
        Assert.Equal(0, await IngestionFixture.CountItemsAsync(connection, project));
    }

    [Fact]
    public async Task Should_reject_invalid_utf8_with_its_row_and_skip_a_byte_order_mark()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);
        byte[] invalid = [.. "text\nok\n"u8, 0x66, 0xC3, 0x28, (byte)'\n', .. "nul \0 here\n"u8];
        byte[] withBom = [0xEF, 0xBB, 0xBF, .. "text\nwith a BOM\n"u8];

        using var rejected = await stack.UploadAsync(project, invalid, Csv);
        using var accepted = await stack.UploadAsync(project, withBom, "text/csv; charset=utf-8");

        var problem = await ReadAsync<ProblemBody>(rejected, HttpStatusCode.UnprocessableEntity);
        Assert.Equal([3L, 4L], problem.Errors.Select(e => e.Row));
        Assert.Contains("not valid UTF-8", problem.Errors[0].Reason, StringComparison.Ordinal);
        Assert.Contains("NUL", problem.Errors[1].Reason, StringComparison.Ordinal);
        Assert.Equal(1, (await ReadAsync<UploadBody>(accepted, HttpStatusCode.OK)).Inserted);
        Assert.Equal("""{"text": "with a BOM"}""", Assert.Single(await ItemsAsync(connection, project)).Payload);
    }

    [Fact]
    public async Task Should_refuse_oversized_bodies_and_rows_with_the_limit()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);
        var big = "text\n" + string.Concat(Enumerable.Range(0, IngestionFixture.MaxBodyBytes / 10).Select(i => $"row {i,5}\n"));
        var longRow = "text\nshort\n" + new string('x', IngestionFixture.MaxRowBytes + 10) + "\nafter\n";

        using var tooLarge = await stack.UploadAsync(project, big, Csv);
        using var tooLong = await stack.UploadAsync(project, longRow, Csv, "?onError=skip");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Contains("262,144 bytes", await tooLarge.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var body = await ReadAsync<UploadBody>(tooLong, HttpStatusCode.OK);
        Assert.Equal((3, 2, 0, 1), Counts(body));
        Assert.Equal(3L, body.Errors[0].Row);
        Assert.Contains("4,096 bytes", body.Errors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_callers_without_a_token_the_ingest_role_or_membership()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);
        await TestData.AddMemberAsync(connection, project, "ann");

        using var anonymous = await stack.UploadAsync(project, "hello\n", "text/plain", token: "");
        using var nonMember = await stack.UploadAsync(project, "hello\n", "text/plain", token: stack.StrangerToken);
        using var annotator = await stack.UploadAsync(project, "hello\n", "text/plain", token: stack.AnnotatorToken);
        using var admin = await stack.UploadAsync(project, "hello\n", "text/plain", token: stack.AdminToken);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, nonMember.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, annotator.StatusCode);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Equal(1, await IngestionFixture.CountItemsAsync(connection, project));
    }

    [Fact]
    public async Task Should_explain_bad_parameters_and_unknown_formats()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);

        using var typo = await stack.UploadAsync(project, "text\nx\n", Csv, "?label=label");
        using var onError = await stack.UploadAsync(project, "text\nx\n", Csv, "?onError=ignore");
        using var format = await stack.UploadAsync(project, "<xml/>", "application/xml");

        Assert.Contains("Unknown query parameter(s): label", (await ReadAsync<ProblemBody>(typo, HttpStatusCode.BadRequest)).Detail, StringComparison.Ordinal);
        Assert.Contains("onError must be", (await ReadAsync<ProblemBody>(onError, HttpStatusCode.BadRequest)).Detail, StringComparison.Ordinal);
        Assert.Contains("text/csv", (await ReadAsync<ProblemBody>(format, HttpStatusCode.UnsupportedMediaType)).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_should_publish_ItemsIngested_with_its_counts()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);
        await using var probe = await AmqpProbe.ConnectAsync(stack.VirtualHost.Name);
        var queue = await probe.SubscribeAsync("ItemsIngested");

        using var response = await stack.UploadAsync(project, "text,label\na,legit\nb,\na,\n", Csv, "?labelColumn=label");

        var body = await ReadAsync<UploadBody>(response, HttpStatusCode.OK);
        JsonElement? received = null;
        await Wait.UntilAsync(
            async () => (received = await probe.TryReceiveAsync(queue)) is { } m && m.GetProperty("projectId").GetGuid() == project,
            TimeSpan.FromSeconds(30), "ItemsIngested on the broker");
        var message = received!.Value;
        Assert.Equal(body.BatchId, message.GetProperty("batchId").GetGuid());
        Assert.Equal((3, 2, 1, 0, 1), (message.GetProperty("received").GetInt32(), message.GetProperty("inserted").GetInt32(),
            message.GetProperty("duplicates").GetInt32(), message.GetProperty("rejected").GetInt32(), message.GetProperty("seedLabels").GetInt32()));
    }

    private static (int Received, int Inserted, int Duplicates, int Rejected) Counts(UploadBody body) => (body.Received, body.Inserted, body.Duplicates, body.Rejected);

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {expected}, got {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<T>(text, JsonSerializerOptions.Web)!;
    }

    private static async Task<Guid> InsertTabularProjectAsync(NpgsqlConnection connection)
    {
        var id = Guid.NewGuid();
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO projects (id, name, task_type, text_columns, feature_columns, retrain_every, query_strategy, query_batch_size, created_at)
            VALUES (@id, @name, 'Tabular', ARRAY[]::text[], ARRAY['age', 'income'], 10, 'least_confidence', 100, now());
            INSERT INTO project_labels (project_id, name, position) VALUES (@id, 'yes', 0), (@id, 'no', 1);
            INSERT INTO project_members (project_id, user_id, added_at) VALUES (@id, 'feeder', now());
            """, connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("name", "tabular-" + id.ToString("N"));
        await command.ExecuteNonQueryAsync();
        return id;
    }

    internal static async Task<List<ItemRow>> ItemsAsync(NpgsqlConnection connection, Guid project)
    {
        await using var command = new NpgsqlCommand("SELECT external_id, payload::text, seed_label, is_labeled FROM items WHERE project_id = @p ORDER BY id", connection);
        command.Parameters.AddWithValue("p", project);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<ItemRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new ItemRow(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetBoolean(3)));
        }

        return rows;
    }

    internal static async Task<long> OutboxCountAsync(NpgsqlConnection connection, Guid project)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM outbox_messages WHERE body->>'projectId' = @p", connection);
        command.Parameters.AddWithValue("p", project.ToString());
        return (long)(await command.ExecuteScalarAsync())!;
    }

    internal sealed record ItemRow(string ExternalId, string Payload, string? SeedLabel, bool IsLabeled);

    private sealed record UploadBody(Guid BatchId, int Received, int Inserted, int Duplicates, int Rejected, int SeedLabels, List<ErrorBody> Errors, bool ErrorsTruncated);

    private sealed record ProblemBody(string Detail, int Received, int Rejected, List<ErrorBody> Errors);

    private sealed record ErrorBody(long Row, string? Column, string Reason);
}
