using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ActiveLabel.BrowserTests;

/// <summary>The annotator web app in chromium, against the real services.</summary>
[Collection(WebAppGroup.Name)]
public sealed class WebAppTests(WebAppFixture fixture)
{
    private static readonly LocatorAssertionsToBeVisibleOptions Slow = new() { Timeout = 90_000 };

    [Fact]
    public async Task Should_label_30_items_with_the_keyboard_and_announce_the_new_model()
    {
        // 20 seed labels train the first model before anyone labels; then every 10 labels bring a new one.
        var lines = fixture.Headlines(120);
        var project = await fixture.CreateProjectAsync(
            "keyboard-" + Guid.NewGuid().ToString("N")[..6], [.. lines.Select((l, i) => (l.Text, i < 20 ? l.Label : null))], "alice");
        await Wait(async () => await fixture.ScalarAsync("SELECT count(*) FROM query_sessions WHERE project_id = @p", project) >= 1, "the first query session");
        var firstSession = await fixture.ScalarAsync("SELECT max(session_id) FROM query_sessions WHERE project_id = @p", project);

        var (context, page) = await fixture.SignInAsync("alice");
        await using var _ = context;
        // Keyboard only: the first project has the focus after sign-in, Enter opens it.
        await Expect(page.Locator($"#project-list button[data-project='{project}']")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#item-text")).ToBeVisibleAsync();
        await Expect(page.Locator("#guess")).ToContainTextAsync("guesses");
        await Expect(page.Locator(".label-buttons button")).ToHaveCountAsync(2);
        await Expect(page.Locator(".label-buttons")).ToContainTextAsync("Written to make you click");

        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < 30; i++)
        {
            var itemId = await page.Locator("#item").GetAttributeAsync("data-item-id");
            var text = await page.Locator("#item-text").TextContentAsync() ?? "";
            var label = fixture.Truth[text];
            given[text] = label;
            await page.Keyboard.PressAsync(label == "clickbait" ? "c" : "n");
            await Expect(page.Locator("#item")).Not.ToHaveAttributeAsync("data-item-id", itemId!);
            if (i == 0)
            {
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = WebAppFixture.ScreenshotPath("labeling-view"), FullPage = true });
            }
        }

        await Expect(page.Locator("#notice")).ToBeVisibleAsync(Slow);
        await Expect(page.Locator("#notice-text")).ToContainTextAsync("New model");
        await Expect(page.Locator("#p-yours")).ToHaveTextAsync("30");
        await Expect(page.Locator("#guess")).ToContainTextAsync("guesses");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = WebAppFixture.ScreenshotPath("labeling-view-new-model"), FullPage = true });

        await using var connection = await fixture.Database.OpenConnectionAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT i.payload->>'text', l.label, l.annotator, l.query_session_id FROM labels l JOIN items i ON i.id = l.item_id WHERE l.project_id = @p", connection);
        command.Parameters.AddWithValue("p", project);
        var stored = new List<(string Text, string Label, string Annotator, int? Session)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                stored.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt32(3)));
            }
        }

        Assert.Equal(30, stored.Count);
        Assert.All(stored, s => Assert.Equal("alice", s.Annotator));
        Assert.All(stored, s => Assert.Equal(given[s.Text], s.Label));
        // Served from the query sessions the models made, and later ones once new models arrived.
        Assert.All(stored, s => Assert.True(s.Session >= firstSession, $"'{s.Text}' was labeled without its query session"));
        Assert.Contains(stored, s => s.Session > firstSession);

        // Review pages: 30 labels in pages of 20 and 10; the disagreement filter keeps exactly the labels the model disputes
        // (compared once the model trained on all 50 labels exists, so both reads see the same model).
        await Wait(async () => await fixture.ScalarAsync("SELECT coalesce(max(trained_on_labels), 0) FROM model_versions WHERE project_id = @p", project) == 50, "a model on every label");
        var first = await GetJsonAsync(page.APIRequest, $"/api/projects/{project}/labels?pageSize=20&annotator=alice");
        Assert.Equal(20, first.GetProperty("labels").GetArrayLength());
        var before = first.GetProperty("nextBefore").GetInt64();
        var second = await GetJsonAsync(page.APIRequest, $"/api/projects/{project}/labels?pageSize=20&before={before}");
        Assert.Equal(10, second.GetProperty("labels").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextBefore").ValueKind);
        var all = first.GetProperty("labels").EnumerateArray().Concat(second.GetProperty("labels").EnumerateArray()).ToList();
        Assert.Equal(30, all.Select(l => l.GetProperty("id").GetInt64()).Distinct().Count());
        var disputed = all.Where(l => l.GetProperty("modelGuess").GetProperty("label").GetString() != l.GetProperty("label").GetString())
            .Select(l => l.GetProperty("id").GetInt64()).Order().ToList();
        var filtered = await GetJsonAsync(page.APIRequest, $"/api/projects/{project}/labels?disagreement=true&pageSize=100");
        Assert.Equal(disputed, [.. filtered.GetProperty("labels").EnumerateArray().Select(l => l.GetProperty("id").GetInt64()).Order()]);
    }

    [Fact]
    public async Task Should_never_show_two_annotators_the_same_item_at_once()
    {
        var project = await fixture.CreateProjectAsync(
            "two-" + Guid.NewGuid().ToString("N")[..6], [.. fixture.Headlines(40, skip: 200).Select(l => (l.Text, (string?)null))], "alice", "bob");
        var (aliceContext, alice) = await fixture.SignInAsync("alice");
        await using var _ = aliceContext;
        var (bobContext, bob) = await fixture.SignInAsync("bob");
        await using var __ = bobContext;
        await alice.GotoAsync($"/#/p/{project}");
        await bob.GotoAsync($"/#/p/{project}");

        for (var round = 0; round < 12; round++)
        {
            await Expect(alice.Locator("#item-text")).ToBeVisibleAsync();
            await Expect(bob.Locator("#item-text")).ToBeVisibleAsync();
            var a = await alice.Locator("#item").GetAttributeAsync("data-item-id");
            var b = await bob.Locator("#item").GetAttributeAsync("data-item-id");
            Assert.NotEqual(a, b);
            // Alternate who labels, so both hold current and prefetched leases while the other moves on.
            var (labeler, held) = round % 2 == 0 ? (alice, a) : (bob, b);
            await labeler.Keyboard.PressAsync("n");
            await Expect(labeler.Locator("#item")).Not.ToHaveAttributeAsync("data-item-id", held!);
        }

        Assert.Equal(12, await fixture.ScalarAsync("SELECT count(*) FROM labels WHERE project_id = @p", project));
        Assert.Equal(12, await fixture.ScalarAsync("SELECT count(DISTINCT item_id) FROM labels WHERE project_id = @p", project));
    }

    [Fact]
    public async Task Should_show_markup_in_an_item_as_text_and_run_nothing()
    {
        const string Hostile = "<img src=x onerror=alert(1)>";
        var project = await fixture.CreateProjectAsync("xss-" + Guid.NewGuid().ToString("N")[..6], [(Hostile, null)], "alice");
        var (context, page) = await fixture.SignInAsync("alice");
        await using var _ = context;
        var dialogs = 0;
        page.Dialog += (_, dialog) => { dialogs++; _ = dialog.DismissAsync(); };

        await page.GotoAsync($"/#/p/{project}");
        await Expect(page.Locator("#item-text")).ToHaveTextAsync(Hostile);
        await Expect(page.Locator("#guess")).Not.ToBeEmptyAsync();

        Assert.Equal(0, await page.Locator("#item img").CountAsync());
        Assert.Equal(0, await page.Locator("img").CountAsync());
        Assert.Equal(0, dialogs);
        var csp = (await page.APIRequest.GetAsync("/")).Headers.GetValueOrDefault("content-security-policy");
        Assert.NotNull(csp);
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_non_members_and_sign_out_a_revoked_session_at_once()
    {
        var project = await fixture.CreateProjectAsync(
            "private-" + Guid.NewGuid().ToString("N")[..6], [.. fixture.Headlines(6, skip: 300).Select(l => (l.Text, (string?)null))], "carol");

        // Mallory is signed in but not a member: the API answers 404 to everything about the project, the UI shows it not.
        var (malloryContext, mallory) = await fixture.SignInAsync("mallory");
        await using var _ = malloryContext;
        await Expect(mallory.Locator("#no-projects")).ToBeVisibleAsync();
        var csrf = (await GetJsonAsync(mallory.APIRequest, "/api/session")).GetProperty("csrfToken").GetString()!;
        var headers = new Dictionary<string, string> { ["X-CSRF-Token"] = csrf };
        Assert.Equal(404, (await mallory.APIRequest.GetAsync($"/api/projects/{project}")).Status);
        Assert.Equal(404, (await mallory.APIRequest.GetAsync($"/api/projects/{project}/status")).Status);
        Assert.Equal(404, (await mallory.APIRequest.GetAsync($"/api/projects/{project}/labels")).Status);
        Assert.Equal(404, (await mallory.APIRequest.PostAsync($"/api/projects/{project}/next", new() { Headers = headers })).Status);
        var anyItem = await fixture.ScalarAsync("SELECT min(id) FROM items WHERE project_id = @p", project);
        var label = await mallory.APIRequest.PostAsync(
            $"/api/projects/{project}/items/{anyItem}/labels", new() { Headers = headers, DataObject = new { requestId = Guid.NewGuid(), label = "news" } });
        Assert.Equal(404, label.Status);
        await mallory.GotoAsync($"/#/p/{project}");
        await Expect(mallory.Locator("#error")).ToContainTextAsync("not a member");
        await Expect(mallory.Locator("#item-text")).Not.ToBeVisibleAsync();

        // Carol labels; the admin revokes her tokens; her very next request is refused and the UI asks her to sign in.
        var (carolContext, carol) = await fixture.SignInAsync("carol");
        await using var __ = carolContext;
        await carol.GotoAsync($"/#/p/{project}");
        await Expect(carol.Locator("#item-text")).ToBeVisibleAsync();
        await fixture.Database.RunAdminAsync("tokens", "revoke", "--user", "carol");
        Assert.Equal(401, (await carol.APIRequest.GetAsync("/api/session")).Status);
        await carol.Keyboard.PressAsync("n");
        await Expect(carol.Locator("#view-signin")).ToBeVisibleAsync();
        await Expect(carol.Locator("#error")).ToContainTextAsync("Sign in again");
        Assert.Equal(0, await fixture.ScalarAsync("SELECT count(*) FROM labels WHERE project_id = @p", project));
    }

    [Fact]
    public async Task Should_refuse_a_cookie_request_without_the_csrf_token_and_store_nothing()
    {
        var project = await fixture.CreateProjectAsync(
            "csrf-" + Guid.NewGuid().ToString("N")[..6], [.. fixture.Headlines(4, skip: 400).Select(l => (l.Text, (string?)null))], "alice");
        var (context, page) = await fixture.SignInAsync("alice");
        await using var _ = context;
        var csrf = (await GetJsonAsync(page.APIRequest, "/api/session")).GetProperty("csrfToken").GetString()!;

        // The browser sends the session cookie with these requests, as it would with a forged cross-site request.
        Assert.Equal(401, (await page.APIRequest.PostAsync($"/api/projects/{project}/next")).Status);
        Assert.Equal(0, await fixture.ScalarAsync("SELECT count(*) FROM item_leases WHERE project_id = @p", project));

        var next = await page.APIRequest.PostAsync($"/api/projects/{project}/next", new() { Headers = new Dictionary<string, string> { ["X-CSRF-Token"] = csrf } });
        Assert.Equal(200, next.Status);
        var item = (await next.JsonAsync())!.Value.GetProperty("itemId").GetInt64();
        var body = new { requestId = Guid.NewGuid(), label = "news" };
        foreach (var forged in new Dictionary<string, string>[] { [], new() { ["X-CSRF-Token"] = "forged" }, new() { ["X-CSRF-Token"] = csrf + "x" } })
        {
            var attempt = await page.APIRequest.PostAsync($"/api/projects/{project}/items/{item}/labels", new() { Headers = forged, DataObject = body });
            Assert.Equal(401, attempt.Status);
        }

        Assert.Equal(0, await fixture.ScalarAsync("SELECT count(*) FROM labels WHERE project_id = @p", project));

        // The page's own request, with the token, is accepted: the refusals above were about the token, nothing else.
        var accepted = await page.APIRequest.PostAsync(
            $"/api/projects/{project}/items/{item}/labels", new() { Headers = new Dictionary<string, string> { ["X-CSRF-Token"] = csrf }, DataObject = body });
        Assert.Equal(201, accepted.Status);
        Assert.Equal(1, await fixture.ScalarAsync("SELECT count(*) FROM labels WHERE project_id = @p", project));
    }

    [Fact]
    public async Task Should_undo_into_a_correction_keep_a_comment_and_correct_labels_in_review()
    {
        var project = await fixture.CreateProjectAsync(
            "undo-" + Guid.NewGuid().ToString("N")[..6], [.. fixture.Headlines(10, skip: 500).Select(l => (l.Text, (string?)null))], "alice");
        var (context, page) = await fixture.SignInAsync("alice");
        await using var _ = context;
        await page.GotoAsync($"/#/p/{project}");

        // A comment, then a label: Enter keeps the comment for the label.
        await Expect(page.Locator("#item-text")).ToBeVisibleAsync();
        var first = await page.Locator("#item-text").TextContentAsync();
        var firstId = await page.Locator("#item").GetAttributeAsync("data-item-id");
        await page.Keyboard.PressAsync("/");
        await page.Keyboard.TypeAsync("not sure");
        await page.Keyboard.PressAsync("Enter");
        await page.Keyboard.PressAsync("c");
        await Expect(page.Locator("#item")).Not.ToHaveAttributeAsync("data-item-id", firstId!);
        var secondId = await page.Locator("#item").GetAttributeAsync("data-item-id");

        // Undo reopens the first item; its label key corrects the stored label; then the held item is back.
        await page.Keyboard.PressAsync("z");
        await Expect(page.Locator("#correcting")).ToBeVisibleAsync();
        await Expect(page.Locator("#item-text")).ToHaveTextAsync(first!);
        await page.Keyboard.PressAsync("n");
        await Expect(page.Locator("#correcting")).Not.ToBeVisibleAsync();
        await Expect(page.Locator("#item")).ToHaveAttributeAsync("data-item-id", secondId!);
        Assert.Equal(1, await fixture.ScalarAsync("SELECT count(*) FROM labels WHERE project_id = @p", project));
        Assert.Equal(1, await fixture.ScalarAsync("SELECT count(*) FROM labels WHERE project_id = @p AND label = 'news' AND comment = 'not sure'", project));

        // Review: the label is listed, a filter hides it, and correcting it in place stores the correction.
        await page.GotoAsync($"/#/p/{project}/review");
        await Expect(page.Locator("#review-rows tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#review-rows tr td.text")).ToHaveTextAsync(first!);
        await page.Locator("#review-rows tr select").SelectOptionAsync("clickbait");
        await Expect(page.Locator("#review-rows tr td.label")).ToHaveTextAsync("clickbait");
        Assert.Equal(1, await fixture.ScalarAsync("SELECT count(*) FROM labels WHERE project_id = @p AND label = 'clickbait'", project));
        await page.Locator("#f-label").SelectOptionAsync("news");
        await page.Locator("#review-filters button[type=submit]").ClickAsync();
        await Expect(page.Locator("#review-rows tr")).ToHaveCountAsync(0);

        // Paging is validated at the edge.
        foreach (var bad in new[] { "pageSize=0", "pageSize=101", "before=0", "session=0" })
        {
            Assert.Equal(400, (await page.APIRequest.GetAsync($"/api/projects/{project}/labels?{bad}")).Status);
        }
    }

    [Fact]
    public async Task Should_answer_an_unknown_user_and_a_wrong_password_alike()
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = fixture.Labeling.BaseAddress.ToString() });
        await using var _ = context;
        var wrong = await context.APIRequest.PostAsync("/api/session", new() { DataObject = new { userId = "alice", password = "not the password at all" } });
        var unknown = await context.APIRequest.PostAsync("/api/session", new() { DataObject = new { userId = "nobody", password = "not the password at all" } });
        Assert.Equal(401, wrong.Status);
        Assert.Equal(401, unknown.Status);
        Assert.Equal((await wrong.JsonAsync())!.Value.GetProperty("detail").GetString(), (await unknown.JsonAsync())!.Value.GetProperty("detail").GetString());
        Assert.Empty(await context.CookiesAsync());
        Assert.Equal(401, (await context.APIRequest.GetAsync("/api/projects")).Status);

        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.Locator("#signin-user").FillAsync("alice");
        await page.Locator("#signin-password").FillAsync("not the password at all");
        await page.Locator("#signin-password").PressAsync("Enter");
        await Expect(page.Locator("#error")).ToHaveTextAsync("Unknown user or wrong password.");

        // The session cookie is out of the page's reach (HttpOnly) and never sent cross-site (SameSite=Strict).
        await page.Locator("#signin-password").FillAsync(WebAppFixture.Password);
        await page.Locator("#signin-password").PressAsync("Enter");
        await Expect(page.Locator("#view-projects")).ToBeVisibleAsync();
        var cookie = Assert.Single(await context.CookiesAsync());
        Assert.Equal("alp_session", cookie.Name);
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal(string.Empty, await page.EvaluateAsync<string>("document.cookie"));

        // Signing out revokes the session's token, not just the cookie.
        var token = cookie.Value;
        await page.Locator("#sign-out").ClickAsync();
        await Expect(page.Locator("#view-signin")).ToBeVisibleAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/projects", UriKind.Relative));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await fixture.Labeling.Http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static async Task<JsonElement> GetJsonAsync(IAPIRequestContext request, string path)
    {
        var response = await request.GetAsync(path);
        Assert.True(response.Ok, $"GET {path} answered {response.Status}");
        return (await response.JsonAsync())!.Value;
    }

    private static Task Wait(Func<Task<bool>> condition, string what) =>
        IntegrationTests.Infrastructure.Wait.UntilAsync(condition, TimeSpan.FromSeconds(90), what);
}
