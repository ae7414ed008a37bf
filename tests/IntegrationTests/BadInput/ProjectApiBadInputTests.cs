using System.Net;
using ActiveLabel.IntegrationTests.Infrastructure;
using ActiveLabel.IntegrationTests.Ingestion;
using Npgsql;

namespace ActiveLabel.IntegrationTests.BadInput;

/// <summary>
/// Bad requests to the project and account API of Ingestion (<c>/api/projects</c>, <c>/api/users</c>): JSON of the
/// wrong shape, invalid definitions, unknown references and the wrong role. Each gets a 4xx naming what to fix and
/// leaves every table as it was.
/// </summary>
[Collection(IngestionTests.Name)]
public sealed class ProjectApiBadInputTests(IngestionFixture stack) : IAsyncLifetime
{
    private NpgsqlConnection _connection = null!;
    private DataSnapshot _before = null!;

    public async Task InitializeAsync()
    {
        _connection = await stack.Database.OpenConnectionAsync();
        _before = await DataSnapshot.TakeAsync(_connection);
    }

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    [Fact]
    public async Task Project_body_that_is_a_JSON_array_should_be_400_expecting_an_object()
    {
        using var response = await SendAsync(Answers.Raw(HttpMethod.Post, "/api/projects", stack.AdminToken, "[\"clickbait\", \"legit\"]"));

        Assert.Equal("The JSON body has a value of the wrong type at $ (line 1, byte 2): expected an object.", await Answers.DetailAsync(response, HttpStatusCode.BadRequest));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Project_field_of_the_wrong_type_should_be_400_naming_its_path()
    {
        using var response = await SendAsync(Answers.Raw(HttpMethod.Post, "/api/projects", stack.AdminToken,
            """{"name": "typed", "taskType": "text", "labels": [{"name": "a"}, {"name": "b"}], "retrainEvery": "ten"}"""));

        var detail = await Answers.DetailAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith("The JSON body has a value of the wrong type at $.retrainEvery", detail, StringComparison.Ordinal);
        Assert.EndsWith("expected an integer within range.", detail, StringComparison.Ordinal);
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Project_body_that_is_not_JSON_should_be_400_with_the_position()
    {
        using var response = await SendAsync(Answers.Raw(HttpMethod.Post, "/api/projects", stack.AdminToken, "{\"name\": \"cut off"));

        Assert.StartsWith("The body is not well-formed JSON at $.name (line 1", await Answers.DetailAsync(response, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Project_body_that_is_empty_should_be_400_asking_for_a_JSON_object()
    {
        using var response = await SendAsync(Answers.Raw(HttpMethod.Post, "/api/projects", stack.AdminToken, ""));

        Assert.Equal("The request body is empty: send a JSON object.", await Answers.DetailAsync(response, HttpStatusCode.BadRequest));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Project_body_sent_as_form_data_should_be_415_asking_for_JSON()
    {
        using var response = await SendAsync(Answers.Raw(HttpMethod.Post, "/api/projects", stack.AdminToken, "name=x&taskType=text", "application/x-www-form-urlencoded"));

        Assert.Equal("Send the body as JSON with Content-Type: application/json, not 'application/x-www-form-urlencoded'.", await Answers.DetailAsync(response, HttpStatusCode.UnsupportedMediaType));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Project_with_one_label_should_be_400_asking_for_two_to_100()
    {
        using var response = await CreateAsync(Definition(labels: [new { name = "only" }]));

        Assert.Equal("A project needs 2 to 100 labels.", await Answers.FieldErrorAsync(response, "labels"));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Project_with_a_repeated_label_should_be_400_asking_for_unique_names()
    {
        using var response = await CreateAsync(Definition(labels: [new { name = "spam" }, new { name = "spam" }]));

        Assert.Equal("Label names must be unique.", await Answers.FieldErrorAsync(response, "labels"));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Project_with_an_unknown_query_strategy_should_be_400_listing_the_strategies()
    {
        using var response = await CreateAsync(Definition(queryStrategy: "most_fun"));

        Assert.Equal(
            "Unknown query strategy 'most_fun'. Use one of: committee_kl, committee_vote_entropy, density_weighted, diversity, entropy, least_confidence, random, smallest_margin.",
            await Answers.FieldErrorAsync(response, "queryStrategy"));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Project_with_an_unknown_task_type_should_be_400_naming_the_two_types()
    {
        using var response = await CreateAsync(Definition(taskType: "image"));

        Assert.Equal("taskType must be \"text\" or \"tabular\".", await Answers.FieldErrorAsync(response, "taskType"));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Project_name_over_200_characters_should_be_400_with_the_limit()
    {
        using var response = await CreateAsync(Definition(name: new string('n', 201)));

        Assert.Equal("Give the project a name of 1 to 200 characters.", await Answers.FieldErrorAsync(response, "name"));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Project_with_negative_retrainEvery_should_be_400_with_the_range()
    {
        using var response = await CreateAsync(Definition(retrainEvery: -5));

        Assert.Equal("retrainEvery must be between 1 and 1,000,000 labels.", await Answers.FieldErrorAsync(response, "retrainEvery"));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Project_label_description_over_2000_characters_should_be_400_naming_the_label()
    {
        using var response = await CreateAsync(Definition(labels: [new { name = "a", description = new string('d', 2001) }, new { name = "b", description = "" }]));

        Assert.Equal("A description is at most 2,000 characters.", await Answers.FieldErrorAsync(response, "labels[0].description"));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Project_with_a_taken_name_should_be_409_naming_it_and_add_nothing()
    {
        var name = "taken-" + Guid.NewGuid().ToString("N")[..8];
        await TestData.InsertProjectAsync(_connection, name);
        _before = await DataSnapshot.TakeAsync(_connection);

        using var response = await CreateAsync(Definition(name: name));

        Assert.Equal($"A project named '{name}' already exists.", await Answers.DetailAsync(response, HttpStatusCode.Conflict));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Project_creation_by_an_annotator_should_be_403_naming_the_role()
    {
        using var response = await SendAsync(Answers.Json(HttpMethod.Post, "/api/projects", stack.AnnotatorToken, Definition()));

        Assert.Equal(
            "Your role (annotator) may not do this; ask an administrator for a token with the role it needs.",
            await Answers.DetailAsync(response, HttpStatusCode.Forbidden));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Project_creation_without_a_token_should_be_401_saying_how_to_authenticate()
    {
        using var response = await SendAsync(Answers.Json(HttpMethod.Post, "/api/projects", token: null, Definition()));

        Assert.StartsWith("No credentials: send the header 'Authorization: Bearer <token>'", await Answers.DetailAsync(response, HttpStatusCode.Unauthorized), StringComparison.Ordinal);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Member_who_is_not_a_user_should_be_404_saying_how_to_create_the_user()
    {
        var project = await TestData.InsertProjectAsync(_connection, "m-" + Guid.NewGuid().ToString("N")[..8]);
        _before = await DataSnapshot.TakeAsync(_connection);

        using var response = await SendAsync(Answers.Raw(HttpMethod.Put, $"/api/projects/{project}/members/nobody", stack.AdminToken, ""));

        Assert.Equal("No user 'nobody'. Create it with `alp-admin users create --id nobody`.", await Answers.DetailAsync(response, HttpStatusCode.NotFound));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Member_of_an_unknown_project_should_be_404_naming_the_project()
    {
        var unknown = Guid.NewGuid();

        using var response = await SendAsync(Answers.Raw(HttpMethod.Put, $"/api/projects/{unknown}/members/ann", stack.AdminToken, ""));

        Assert.Equal($"No project {unknown}, or you are not a member of it.", await Answers.DetailAsync(response, HttpStatusCode.NotFound));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task User_id_with_spaces_should_be_400_naming_the_allowed_characters()
    {
        using var response = await SendAsync(Answers.Json(HttpMethod.Put, "/api/users/bad%20id", stack.AdminToken, new { role = "annotator" }));

        Assert.Equal("Use 1 to 100 letters, digits, '.', '_' or '-'.", await Answers.FieldErrorAsync(response, "userId"));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task User_with_an_unknown_role_should_be_400_listing_the_roles()
    {
        using var response = await SendAsync(Answers.Json(HttpMethod.Put, "/api/users/newcomer", stack.AdminToken, new { role = "superuser" }));

        Assert.Equal("role must be admin, annotator or ingest.", await Answers.FieldErrorAsync(response, "role"));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Token_with_zero_days_to_live_should_be_400_with_the_range()
    {
        using var response = await SendAsync(Answers.Json(HttpMethod.Post, "/api/users/ann/tokens", stack.AdminToken, new { name = "ci", expiresInDays = 0 }));

        Assert.Equal("expiresInDays must be between 1 and 3650.", await Answers.FieldErrorAsync(response, "expiresInDays"));
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Password_too_short_should_be_400_saying_how_long_it_must_be()
    {
        using var response = await SendAsync(Answers.Json(HttpMethod.Put, "/api/users/ann/password", stack.AdminToken, new { password = "short" }));

        Assert.Equal("A password is at least 12 characters.", await Answers.FieldErrorAsync(response, "password"));
        await AssertNothingChangedAsync();
    }

    private static object Definition(
        string? name = null, string taskType = "text", object[]? labels = null, int retrainEvery = 10, string queryStrategy = "least_confidence") => new
        {
            name = name ?? "p-" + Guid.NewGuid().ToString("N")[..8],
            taskType,
            labels = labels ?? [new { name = "clickbait" }, new { name = "legit" }],
            retrainEvery,
            queryStrategy,
        };

    private Task<HttpResponseMessage> CreateAsync(object definition) =>
        SendAsync(Answers.Json(HttpMethod.Post, "/api/projects", stack.AdminToken, definition));

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            return await stack.Ingestion.Http.SendAsync(request);
        }
    }

    private Task AssertNothingChangedAsync() => DataSnapshot.AssertUnchangedAsync(_connection, _before);
}
