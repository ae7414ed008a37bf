using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace ActiveLabel.IntegrationTests.Ingestion;

/// <summary>
/// Ingestion takes one of three ways into <c>items</c> (copied straight in for an empty project, a plain INSERT of the
/// rows that cannot be duplicates for a filled one, and the exact ON CONFLICT path when one of those is already
/// stored); whichever it takes, the first occurrence of a content or an id wins, as if rows were stored one by one.
/// </summary>
[Collection(IngestionTests.Name)]
public sealed class DuplicatePathsTests(IngestionFixture stack)
{
    // Row 3 shares its id with row 2 and row 4 its text with row 3, but row 3 is a duplicate and not stored, so row 4
    // is new; row 6 repeats row 2's text.
    private const string File = "id,text,label\na,one,clickbait\na,two,\nb,two,legit\nc,three,\nd,one,\n";

    [Fact]
    public async Task First_occurrences_should_win_into_an_empty_project()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);

        var body = await UploadAsync(project, File);

        Assert.Equal((5, 3, 2, 2), (body.Received, body.Inserted, body.Duplicates, body.SeedLabels));
        Assert.Equal(["a one clickbait", "b two legit", "c three "], await StoredAsync(connection, project));
    }

    [Fact]
    public async Task First_occurrences_should_win_into_a_project_that_has_other_items()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);
        await UploadAsync(project, "id,text\nz,zero\n");

        var body = await UploadAsync(project, File);

        Assert.Equal((5, 3, 2, 2), (body.Received, body.Inserted, body.Duplicates, body.SeedLabels));
        Assert.Equal(["a one clickbait", "b two legit", "c three ", "z zero "], await StoredAsync(connection, project));
    }

    [Fact]
    public async Task Rows_already_in_the_project_should_be_skipped_with_the_rest_kept_in_file_order()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);
        await UploadAsync(project, "id,text\nx,three\n");

        var body = await UploadAsync(project, File);

        Assert.Equal((5, 2, 3, 2), (body.Received, body.Inserted, body.Duplicates, body.SeedLabels));
        Assert.Equal(["a one clickbait", "b two legit", "x three "], await StoredAsync(connection, project));
    }

    [Fact]
    public async Task Concurrent_uploads_into_an_empty_project_should_store_each_item_once()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);

        // Rows 1,001 to 2,000 are in both files; one upload takes the empty project, the other waits for it.
        var bodies = await Task.WhenAll(UploadAsync(project, Items(1, 2000)), UploadAsync(project, Items(1001, 3000)));

        Assert.Equal((3000, 1000), (bodies.Sum(b => b.Inserted), bodies.Sum(b => b.Duplicates)));
        await using var command = new NpgsqlCommand("SELECT count(*), count(DISTINCT external_id), count(DISTINCT payload) FROM items WHERE project_id = @p", connection);
        command.Parameters.AddWithValue("p", project);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal((3000L, 3000L, 3000L), (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)));
    }

    [Fact]
    public async Task A_first_load_with_more_duplicates_than_it_buffers_should_store_each_item_once()
    {
        await using var connection = await stack.Database.OpenConnectionAsync();
        var project = await IngestionFixture.CreateTextProjectAsync(connection);
        var file = new StringBuilder("id,text\nfirst,same\n");
        for (var i = 0; i < 10_500; i++)
        {
            file.Append(CultureInfo.InvariantCulture, $"copy-{i},same\n");
        }

        // After the duplicates (flushed from memory on the way), a new item goes straight in again.
        file.Append("last,other\nfirst,again\n");

        var body = await UploadAsync(project, file.ToString());

        Assert.Equal((10_503, 2, 10_501), (body.Received, body.Inserted, body.Duplicates));
        Assert.Equal(["first same ", "last other "], await StoredAsync(connection, project));
    }

    private static string Items(int from, int to)
    {
        var file = new StringBuilder("id,text\n");
        for (var i = from; i <= to; i++)
        {
            file.Append(CultureInfo.InvariantCulture, $"item-{i},headline number {i}\n");
        }

        return file.ToString();
    }

    private async Task<UploadBody> UploadAsync(Guid project, string file)
    {
        var query = file.StartsWith("id,text,label\n", StringComparison.Ordinal) ? "?labelColumn=label&idColumn=id" : "?idColumn=id";
        using var response = await stack.UploadAsync(project, file, "text/csv", query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<UploadBody>(text, JsonSerializerOptions.Web)!;
    }

    /// <summary>"id text label" of every stored item, by id.</summary>
    private static async Task<List<string>> StoredAsync(NpgsqlConnection connection, Guid project) =>
        [.. (await UploadItemsTests.ItemsAsync(connection, project))
            .Select(r => $"{r.ExternalId} {JsonDocument.Parse(r.Payload).RootElement.GetProperty("text").GetString()} {r.SeedLabel}")
            .Order(StringComparer.Ordinal)];

    private sealed record UploadBody(int Received, int Inserted, int Duplicates, int SeedLabels);
}
