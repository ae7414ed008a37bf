using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ActiveLabel.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace ActiveLabel.BrowserTests;

/// <summary>
/// The four services as separate processes on a fresh database and virtual host, accounts with web passwords, and a
/// headless chromium. Each test arranges its own project, so no test depends on another's data.
/// </summary>
public sealed class WebAppFixture : IAsyncLifetime
{
    public const string Password = "correct horse battery staple";
    public const int RetrainEvery = 10;
    private const string Chromium = "/usr/bin/chromium";

    private static readonly string[] Services = ["Ingestion", "Labeling", "Trainer", "QuerySampler"];
    private readonly Dictionary<string, ServiceProcess> _services = [];
    private IPlaywright _playwright = null!;

    internal TestDatabase Database { get; private set; } = null!;
    internal TestVirtualHost VirtualHost { get; private set; } = null!;
    internal IBrowser Browser { get; private set; } = null!;
    internal string AdminToken { get; private set; } = null!;
    internal ServiceProcess Labeling => _services["Labeling"];
    internal ServiceProcess Ingestion => _services["Ingestion"];

    /// <summary>Headlines of the bundled clickbait dataset with their true label.</summary>
    internal IReadOnlyDictionary<string, string> Truth { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateMigratedAsync();
        VirtualHost = await TestVirtualHost.CreateAsync();
        AdminToken = await Database.CreateUserWithTokenAsync("lead", "admin");
        foreach (var user in new[] { "alice", "bob", "carol", "mallory" })
        {
            await Database.RunAdminAsync("users", "create", "--id", user, "--role", "annotator");
            await SetPasswordAsync(user, Password);
        }

        var grpc = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
        var environment = new Dictionary<string, string>
        {
            ["Trainer__SweepSeconds"] = "1",
            // The last labels of a test reach a model soon after the annotator stops, as after a pause in real use.
            ["Trainer__IdleFlushSeconds"] = "5",
            // Every test signs in from 127.0.0.1, often as the same user; the sign-in limit is not what they test.
            ["RateLimits__Login__PermitLimit"] = "1000",
            // The whole suite shares two cores with chromium; a guess must not time out because a test is slow.
            ["Scorer__Deadline"] = "00:00:10",
            ["Scorer__Address"] = grpc,
        };
        var started = await Task.WhenAll(Services.Select(s => ServiceProcess.StartAsync(
            s,
            Database.ConnectionString,
            VirtualHost.Name,
            environment: s == "QuerySampler" ? new Dictionary<string, string>(environment) { ["Kestrel__Endpoints__Grpc__Url"] = grpc } : environment)));
        foreach (var service in started)
        {
            _services[service.Service] = service;
        }

        Truth = ReadClickbait();
        // Conditions, not sleeps: every expectation waits up to this long (the suite runs test assemblies in parallel).
        Assertions.SetDefaultExpectTimeout(30_000);
        if (!File.Exists(Chromium))
        {
            throw new FileNotFoundException($"The browser tests drive Debian's chromium at {Chromium}: run scripts/test (it installs it) or apt-get install -y chromium.", Chromium);
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            // Debian's chromium: Playwright's own browser download is not reachable from the machines this runs on.
            // Launch (not a persistent context) gives every run a fresh temporary profile.
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        foreach (var service in _services.Values)
        {
            await service.DisposeAsync();
        }

        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }

    /// <summary>Sets a web password the documented way: <c>alp-admin users set-password --password-stdin</c>.</summary>
    internal async Task SetPasswordAsync(string user, string password)
    {
        var startInfo = new ProcessStartInfo("dotnet", [TestEnvironment.AdminDll, "users", "set-password", "--id", user, "--password-stdin"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.Environment["ConnectionStrings__Platform"] = Database.ConnectionString;
        using var process = Process.Start(startInfo)!;
        await process.StandardInput.WriteLineAsync(password);
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"set-password failed: {await stderr}");
    }

    /// <summary>
    /// A clickbait project (keys c and n) through the Ingestion API: <paramref name="lines"/> as items (those with a
    /// label become seed labels), and <paramref name="members"/> as its members.
    /// </summary>
    internal async Task<Guid> CreateProjectAsync(string name, IReadOnlyList<(string Text, string? Label)> lines, params string[] members)
    {
        var create = await SendAsync(Ingestion, HttpMethod.Post, "/api/projects", JsonContent.Create(new
        {
            name,
            taskType = "text",
            labels = new[]
            {
                new { name = "clickbait", description = "Written to make you click", key = "c" },
                new { name = "news", description = "A plain headline", key = "n" },
            },
            retrainEvery = RetrainEvery,
            queryBatchSize = 200,
        }));
        var project = (await create.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        foreach (var member in members)
        {
            await SendAsync(Ingestion, HttpMethod.Put, $"/api/projects/{project}/members/{member}", null);
        }

        var jsonl = new StringBuilder();
        foreach (var (text, label) in lines)
        {
            jsonl.AppendLine(JsonSerializer.Serialize(new Dictionary<string, string?> { ["text"] = text, ["label"] = label }));
        }

        var upload = new StringContent(jsonl.ToString(), Encoding.UTF8);
        upload.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        await SendAsync(Ingestion, HttpMethod.Post, $"/api/projects/{project}/items?labelColumn=label", upload);
        return project;
    }

    internal async Task<HttpResponseMessage> SendAsync(ServiceProcess service, HttpMethod method, string path, HttpContent? content, string? token = null, bool check = true)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? AdminToken);
        // Longer than ServiceProcess.Http's 10 s: an upload waits for the database while the rest of the suite runs.
        using var http = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var response = await http.SendAsync(request);
        if (check && !response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return response;
    }

    internal async Task<long> ScalarAsync(string sql, Guid project)
    {
        await using var connection = await Database.OpenConnectionAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("p", project);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A new browser context (its own cookies) on the Labeling service, signed in as <paramref name="user"/>.</summary>
    internal async Task<(IBrowserContext Context, IPage Page)> SignInAsync(string user)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Labeling.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.Locator("#signin-user").FillAsync(user);
        await page.Locator("#signin-password").FillAsync(Password);
        await page.Locator("#signin-password").PressAsync("Enter");
        await Assertions.Expect(page.Locator("#view-projects")).ToBeVisibleAsync();
        return (context, page);
    }

    internal static string ScreenshotPath(string name)
    {
        var directory = Path.Combine(TestEnvironment.RepoRoot, "artifacts", "browser");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, name + ".png");
    }

    /// <summary>(headline, label) pairs alternating between the classes, from the bundled dataset.</summary>
    internal IReadOnlyList<(string Text, string Label)> Headlines(int count, int skip = 0)
    {
        var clickbait = Truth.Where(t => t.Value == "clickbait").Select(t => t.Key).Order(StringComparer.Ordinal).ToList();
        var news = Truth.Where(t => t.Value == "news").Select(t => t.Key).Order(StringComparer.Ordinal).ToList();
        return [.. Enumerable.Range(skip, count).Select(i => i % 2 == 0 ? (clickbait[i / 2], "clickbait") : (news[i / 2], "news"))];
    }

    private static Dictionary<string, string> ReadClickbait()
    {
        var truth = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (file, label) in new[] { ("clickbait_data.gz", "clickbait"), ("non_clickbait_data.gz", "news") })
        {
            using var stream = new GZipStream(File.OpenRead(Path.Combine(TestEnvironment.RepoRoot, "datasets", "clickbait", file)), CompressionMode.Decompress);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (line.Trim() is { Length: > 0 } text)
                {
                    truth.TryAdd(text, label);
                }
            }
        }

        return truth;
    }

}

[CollectionDefinition(Name)]
public sealed class WebAppGroup : ICollectionFixture<WebAppFixture>
{
    public const string Name = "web app";
}
