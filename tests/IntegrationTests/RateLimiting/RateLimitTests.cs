using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ActiveLabel.IntegrationTests.Infrastructure;

namespace ActiveLabel.IntegrationTests.RateLimiting;

/// <summary>Labeling with a small per-user bucket (5 requests, then 1 per second, no queue) and 3 sign-ins per 10 minutes, so a burst trips them.</summary>
public sealed class RateLimitFixture : IAsyncLifetime
{
    internal TestDatabase Database { get; private set; } = null!;
    internal TestVirtualHost VirtualHost { get; private set; } = null!;
    internal ServiceProcess Labeling { get; private set; } = null!;
    internal string Alice { get; private set; } = null!;
    internal string Bob { get; private set; } = null!;
    internal Guid Project { get; private set; }

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateMigratedAsync();
        VirtualHost = await TestVirtualHost.CreateAsync();
        Alice = await Database.CreateUserWithTokenAsync("alice", "annotator");
        Bob = await Database.CreateUserWithTokenAsync("bob", "annotator");
        await using (var connection = await Database.OpenConnectionAsync())
        {
            Project = await TestData.InsertProjectAsync(connection, "limits");
            await TestData.AddMemberAsync(connection, Project, "alice");
            await TestData.AddMemberAsync(connection, Project, "bob");
            for (var i = 0; i < 10; i++)
            {
                await TestData.InsertItemAsync(connection, Project, $"item-{i}", System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));
            }
        }

        Labeling = await ServiceProcess.StartAsync("Labeling", Database.ConnectionString, VirtualHost.Name, environment: new Dictionary<string, string>
        {
            ["RateLimits__PerUser__Burst"] = "5",
            ["RateLimits__PerUser__PerSecond"] = "1",
            ["RateLimits__PerUser__QueueLimit"] = "0",
            ["RateLimits__Login__PermitLimit"] = "3",
            ["RateLimits__Login__WindowSeconds"] = "600",
        });
    }

    public async Task DisposeAsync()
    {
        await Labeling.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }

    internal async Task<HttpResponseMessage> NextAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/api/projects/{Project}/next", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Labeling.Http.SendAsync(request);
    }

    internal Task<HttpResponseMessage> SignInAsync(string userId) =>
        Labeling.Http.PostAsync(new Uri("/api/session", UriKind.Relative), System.Net.Http.Json.JsonContent.Create(new { userId, password = "not the password" }));
}

public sealed class RateLimitTests(RateLimitFixture fixture) : IClassFixture<RateLimitFixture>
{
    [Fact]
    public async Task A_burst_above_the_limit_should_get_429_with_retry_after_while_another_user_is_unaffected()
    {
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? rejected = null;
        // 30 back-to-back requests: the bucket holds 5 and refills 1 per second, so unless they take 25 s some are refused.
        for (var i = 0; i < 30; i++)
        {
            var response = await fixture.NextAsync(fixture.Alice);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests && rejected is null)
            {
                rejected = response;
            }
            else
            {
                response.Dispose();
            }
        }

        using var bob = await fixture.NextAsync(fixture.Bob);

        Assert.True(statuses.Take(5).All(s => s == HttpStatusCode.OK), string.Join(", ", statuses));
        Assert.NotNull(rejected);
        using (rejected)
        {
            Assert.InRange(int.Parse(rejected.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
            Assert.Equal("application/problem+json", rejected.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(await rejected.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(429, problem.GetProperty("status").GetInt32());
            Assert.Contains("Too many requests", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, bob.StatusCode);
    }

    [Fact]
    public async Task Sign_in_attempts_above_the_limit_should_get_429_for_that_user_while_another_user_may_still_try()
    {
        var attempts = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await fixture.SignInAsync("carol");
            attempts.Add(response.StatusCode);
        }

        using var differentCase = await fixture.SignInAsync("CAROL");
        using var dave = await fixture.SignInAsync("dave");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], attempts);
        Assert.Equal(HttpStatusCode.TooManyRequests, differentCase.StatusCode);
        Assert.True(int.Parse(differentCase.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) > 60);
        Assert.Equal(HttpStatusCode.Unauthorized, dave.StatusCode);
    }

    [Fact]
    public async Task A_sign_in_body_over_16_KiB_should_be_refused_with_413_before_it_is_read()
    {
        using var response = await fixture.Labeling.Http.PostAsync(
            new Uri("/api/session", UriKind.Relative), System.Net.Http.Json.JsonContent.Create(new { userId = "erin", password = new string('x', 20_000) }));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
