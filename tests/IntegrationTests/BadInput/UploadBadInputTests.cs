using System.Net;
using System.Text;
using System.Text.Json;
using ActiveLabel.IntegrationTests.Infrastructure;
using ActiveLabel.IntegrationTests.Ingestion;

namespace ActiveLabel.IntegrationTests.BadInput;

/// <summary>
/// Bad files sent to <c>POST /api/projects/{id}/items</c> (Ingestion, body limit 256 KiB, row limit 4 KiB): each is
/// answered with its status and a detail naming what to fix, and leaves every table as it was.
/// </summary>
[Collection(IngestionTests.Name)]
public sealed class UploadBadInputTests(IngestionFixture stack) : IAsyncLifetime
{
    private const string Csv = "text/csv";
    private Npgsql.NpgsqlConnection _connection = null!;

    public async Task InitializeAsync() => _connection = await stack.Database.OpenConnectionAsync();

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    [Fact]
    public async Task Unbalanced_quote_should_be_422_naming_row_and_column_and_store_nothing()
    {
        var error = await RejectedRowAsync("text\nfine\n\"never closed\n");

        Assert.Equal((3L, "text"), (error.Row, error.Column));
        Assert.Equal("a quoted field is never closed; add the closing quote (\").", error.Reason);
    }

    [Fact]
    public async Task Wrong_column_count_should_be_422_with_both_counts_and_store_nothing()
    {
        var error = await RejectedRowAsync("text,source\nfine,rss\ntoo,many,fields\n");

        Assert.Equal(3L, error.Row);
        Assert.Equal("has 3 fields; the header has 2.", error.Reason);
    }

    [Fact]
    public async Task Embedded_NUL_should_be_422_and_store_nothing()
    {
        var error = await RejectedRowAsync("text\nfine\nnul \0 inside\n");

        Assert.Equal(3L, error.Row);
        Assert.Equal("contains a NUL byte (\\0); remove it.", error.Reason);
    }

    [Fact]
    public async Task Invalid_utf8_such_as_latin1_should_be_422_asking_for_utf8_and_store_nothing()
    {
        byte[] latin1 = [.. "text\nfine\ncaf"u8, 0xE9, (byte)'\n'];

        var error = await RejectedRowAsync(latin1);

        Assert.Equal(3L, error.Row);
        Assert.Equal("not valid UTF-8; save the file as UTF-8.", error.Reason);
    }

    [Fact]
    public async Task Utf8_BOM_before_JSON_Lines_should_be_stripped_and_the_file_accepted()
    {
        var (connection, project, before) = await ArrangeAsync();
        byte[] file = [0xEF, 0xBB, 0xBF, .. """{"text": "after a BOM"}"""u8, (byte)'\n'];

        using var response = await stack.UploadAsync(project, file, "application/x-ndjson");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var item = Assert.Single(await UploadItemsTests.ItemsAsync(connection, project));
        Assert.Equal("""{"text": "after a BOM"}""", item.Payload);
        await DataSnapshot.AssertUnchangedAsync(connection, before, "items", "outbox_messages");
    }

    [Theory]
    [InlineData(false, "UTF-16 LE")]
    [InlineData(true, "UTF-16 BE")]
    public async Task Utf16_file_should_be_415_naming_its_encoding_and_asking_for_utf8(bool bigEndian, string encoding)
    {
        var (connection, project, before) = await ArrangeAsync();
        var utf16 = new UnicodeEncoding(bigEndian, byteOrderMark: true);
        byte[] file = [.. utf16.GetPreamble(), .. utf16.GetBytes("text\nhello\n")];

        using var response = await stack.UploadAsync(project, file, Csv);

        Assert.Equal(
            $"The file is {encoding} (it starts with a {encoding} byte order mark); save it as UTF-8 (a UTF-8 BOM is fine) and upload it again. Nothing was stored.",
            await Answers.DetailAsync(response, HttpStatusCode.UnsupportedMediaType));
        await DataSnapshot.AssertUnchangedAsync(connection, before);
    }

    [Fact]
    public async Task Empty_csv_file_should_be_422_asking_for_a_header_row()
    {
        var error = await RejectedRowAsync(""u8.ToArray());

        Assert.Equal(1L, error.Row);
        Assert.Equal("the file is empty; the first line must be a header row naming the columns.", error.Reason);
    }

    [Fact]
    public async Task Csv_with_a_header_and_no_rows_should_be_422_and_publish_nothing()
    {
        var (connection, project, before) = await ArrangeAsync();

        using var response = await stack.UploadAsync(project, "text\n\n", Csv);

        Assert.Equal("The file has a header row but no rows below it; nothing was stored.", await Answers.DetailAsync(response, HttpStatusCode.UnprocessableEntity));
        await DataSnapshot.AssertUnchangedAsync(connection, before);
    }

    [Fact]
    public async Task Blank_text_file_should_be_422_saying_it_holds_no_items()
    {
        var (connection, project, before) = await ArrangeAsync();

        using var response = await stack.UploadAsync(project, "\n   \n\n", "text/plain");

        Assert.Equal("The file holds no items (it is empty or blank); nothing was stored.", await Answers.DetailAsync(response, HttpStatusCode.UnprocessableEntity));
        await DataSnapshot.AssertUnchangedAsync(connection, before);
    }

    [Fact]
    public async Task Json_Lines_line_of_the_wrong_shape_should_be_422_expecting_an_object()
    {
        var error = await RejectedRowAsync("""
            {"text": "fine"}
            ["text", "an array"]
            """, "application/x-ndjson");

        Assert.Equal(2L, error.Row);
        Assert.Equal("expected a JSON object, found array.", error.Reason);
    }

    [Fact]
    public async Task Json_Lines_line_that_is_not_JSON_should_be_422_naming_the_row()
    {
        var error = await RejectedRowAsync("{\"text\": \"fine\"}\n{\"text\": \"cut off\n", "application/x-ndjson");

        Assert.Equal(2L, error.Row);
        Assert.StartsWith("not valid JSON: ", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_GB_upload_should_be_refused_by_its_Content_Length_before_any_body_is_sent()
    {
        var (connection, project, before) = await ArrangeAsync();

        var answer = await RawHttpUpload.DeclareLengthAsync(
            stack.Ingestion.BaseAddress, $"/api/projects/{project}/items", stack.FeederToken, Csv, declaredLength: 2L << 30, TimeSpan.FromSeconds(30));

        Assert.Equal(413, answer.Status);
        Assert.Equal(0, answer.BodyBytesSent);
        Assert.Equal(
            "The body is larger than the limit of 262,144 bytes (Ingestion:Upload:MaxBodyBytes); split the file, nothing was stored.",
            JsonDocument.Parse(answer.Body).RootElement.GetProperty("detail").GetString());
        await DataSnapshot.AssertUnchangedAsync(connection, before);
    }

    [Fact]
    public async Task Two_GB_chunked_upload_without_a_length_should_be_refused_once_past_the_limit_and_store_nothing()
    {
        var (connection, project, before) = await ArrangeAsync();

        var answer = await RawHttpUpload.StreamUntilRefusedAsync(
            stack.Ingestion.BaseAddress, $"/api/projects/{project}/items", stack.FeederToken, Csv,
            header: "text\n", row: "a row of a file that never ends\n", maxBytes: 2L << 30, TimeSpan.FromSeconds(60));

        Assert.Equal(413, answer.Status);
        Assert.Contains("262,144 bytes", answer.Body, StringComparison.Ordinal);
        // The server read about its limit and stopped; socket buffers account for the rest of what was written.
        Assert.InRange(answer.BodyBytesSent, IngestionFixture.MaxBodyBytes - (64 * 1024), 64L << 20);
        await DataSnapshot.AssertUnchangedAsync(connection, before);
    }

    [Fact]
    public async Task Charset_other_than_utf8_should_be_415_listing_what_is_accepted()
    {
        var (connection, project, before) = await ArrangeAsync();

        using var response = await stack.UploadAsync(project, "text\nhello\n", "text/csv; charset=iso-8859-1");

        var detail = await Answers.DetailAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("Content-Type 'text/csv; charset=iso-8859-1'", detail, StringComparison.Ordinal);
        Assert.Contains("Send UTF-8", detail, StringComparison.Ordinal);
        await DataSnapshot.AssertUnchangedAsync(connection, before);
    }

    [Fact]
    public async Task Unknown_format_value_should_be_415_naming_it_and_the_formats()
    {
        var (connection, project, before) = await ArrangeAsync();

        using var response = await stack.UploadAsync(project, "text\nhello\n", Csv, "?format=xlsx");

        var detail = await Answers.DetailAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("format='xlsx'", detail, StringComparison.Ordinal);
        Assert.Contains("?format=csv|tsv|jsonl|text", detail, StringComparison.Ordinal);
        await DataSnapshot.AssertUnchangedAsync(connection, before);
    }

    [Fact]
    public async Task Upload_to_an_unknown_project_should_be_404_naming_it()
    {
        var (connection, _, before) = await ArrangeAsync();
        var unknown = Guid.NewGuid();

        using var response = await stack.UploadAsync(unknown, "text\nhello\n", Csv);

        Assert.Equal($"No project {unknown}, or you are not a member of it.", await Answers.DetailAsync(response, HttpStatusCode.NotFound));
        await DataSnapshot.AssertUnchangedAsync(connection, before);
    }

    [Fact]
    public async Task Upload_with_an_invalid_token_should_be_401_saying_the_token_is_not_valid()
    {
        var (connection, project, before) = await ArrangeAsync();

        using var response = await stack.UploadAsync(project, "text\nhello\n", Csv, token: "alp_not-a-real-token");

        Assert.Equal(
            "The token is unknown, expired or revoked. Send 'Authorization: Bearer <token>' with a valid API token.",
            await Answers.DetailAsync(response, HttpStatusCode.Unauthorized));
        await DataSnapshot.AssertUnchangedAsync(connection, before);
    }

    [Fact]
    public async Task Row_over_the_row_limit_should_be_422_naming_the_limit_and_store_nothing()
    {
        var error = await RejectedRowAsync("text\nshort\n" + new string('x', IngestionFixture.MaxRowBytes + 1) + "\n");

        Assert.Equal(3L, error.Row);
        Assert.Equal("the record is longer than the limit of 4,096 bytes.", error.Reason);
    }

    [Fact]
    public async Task Repeated_header_column_should_be_422_naming_the_column()
    {
        var error = await RejectedRowAsync("text,text\na,b\n");

        Assert.Equal((1L, "text"), (error.Row, error.Column));
        Assert.Equal("header row: the column name appears twice.", error.Reason);
    }

    [Fact]
    public async Task IdColumn_the_file_lacks_should_be_422_listing_the_file_columns()
    {
        var error = await RejectedRowAsync("text,source\nhello,rss\n", query: "?idColumn=id");

        Assert.Equal((1L, "id"), (error.Row, error.Column));
        Assert.Equal("missing column 'id'; the file has columns: text, source.", error.Reason);
    }

    [Fact]
    public async Task Label_column_with_plain_text_should_be_400_explaining_text_has_no_columns()
    {
        var (connection, project, before) = await ArrangeAsync();

        using var response = await stack.UploadAsync(project, "hello\n", "text/plain", "?labelColumn=label");

        Assert.Equal(
            "Plain text has no columns, so labelColumn and idColumn cannot be used; upload CSV or JSON Lines to carry labels or ids.",
            await Answers.DetailAsync(response, HttpStatusCode.BadRequest));
        await DataSnapshot.AssertUnchangedAsync(connection, before);
    }

    [Fact]
    public async Task SQL_and_HTML_in_text_should_be_stored_verbatim_as_data()
    {
        var (connection, project, before) = await ArrangeAsync();
        const string sql = "Robert'); DROP TABLE items; --";
        const string html = "<script>alert(1)</script><img src=x onerror=alert(2)>";
        var file = "text\n" + sql + "\n\"" + html.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"\n";

        using var response = await stack.UploadAsync(project, file, Csv);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var texts = await TestData.ReadColumnAsync(connection, $"SELECT payload->>'text' FROM items WHERE project_id = '{project}' ORDER BY id");
        Assert.Equal([sql, html], texts);
        await DataSnapshot.AssertUnchangedAsync(connection, before, "items", "outbox_messages");
    }

    /// <summary>A fresh project the feeder may upload to, and the data as it is before the request.</summary>
    private async Task<(Npgsql.NpgsqlConnection Connection, Guid Project, DataSnapshot Before)> ArrangeAsync()
    {
        var project = await IngestionFixture.CreateTextProjectAsync(_connection);
        return (_connection, project, await DataSnapshot.TakeAsync(_connection));
    }

    private Task<RowErrorBody> RejectedRowAsync(string file, string contentType = Csv, string query = "") =>
        RejectedRowAsync(Encoding.UTF8.GetBytes(file), contentType, query);

    /// <summary>Uploads a file with one bad row, checks the 422 and that nothing changed, and returns the row's error.</summary>
    private async Task<RowErrorBody> RejectedRowAsync(byte[] file, string contentType = Csv, string query = "")
    {
        var (connection, project, before) = await ArrangeAsync();

        using var response = await stack.UploadAsync(project, file, contentType, query);

        var problem = await Answers.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        var error = Assert.Single(problem.GetProperty("errors").Deserialize<List<RowErrorBody>>(JsonSerializerOptions.Web)!);
        Assert.Contains("nothing was stored", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.EndsWith(error.Reason, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await DataSnapshot.AssertUnchangedAsync(connection, before);
        return error;
    }

    private sealed record RowErrorBody(long Row, string? Column, string Reason);
}
