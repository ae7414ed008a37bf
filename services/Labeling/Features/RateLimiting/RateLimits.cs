using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.RateLimiting;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.AspNetCore.RateLimiting;

namespace ActiveLabel.Labeling.Features.RateLimiting;

/// <summary>
/// Rate-limit policy names. Endpoints opt in with <c>.RequireRateLimiting(RateLimits.PerUser)</c>; the limits come
/// from the <c>RateLimits</c> configuration section (<see cref="RateLimitOptions"/>).
/// </summary>
internal static class RateLimits
{
    /// <summary>Label traffic (next, submit, change, skip): a token bucket per authenticated user, per remote IP otherwise.</summary>
    public const string PerUser = "per-user";

    /// <summary>Sign-ins: a fixed window per remote IP and user id named in the request (see <see cref="SignInUser"/>).</summary>
    public const string Login = "login";

    private const string SignInUserKey = "alp.rate-limit.sign-in-user";

    /// <summary>Sign-in bodies are a user id and a password; anything larger is not read here (the endpoint refuses it).</summary>
    private const int MaxSignInBodyBytes = 16 * 1024;

    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<Microsoft.Extensions.Options.IOptions<RateLimitOptions>>((limiter, configured) =>
        {
            var limits = configured.Value;
            limiter.AddPolicy(PerUser, http => RateLimitPartition.GetTokenBucketLimiter(PartitionKey(http), _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limits.PerUser.Burst,
                TokensPerPeriod = limits.PerUser.PerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = limits.PerUser.QueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            }));
            limiter.AddPolicy(Login, http => RateLimitPartition.GetFixedWindowLimiter($"ip:{RemoteIp(http)}|user:{http.Items[SignInUserKey] as string}", _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limits.Login.PermitLimit,
                Window = TimeSpan.FromSeconds(limits.Login.WindowSeconds),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
            limiter.OnRejected = RejectAsync;
        });
        return builder;
    }

    /// <summary>
    /// Rate limiting, with the user id of a sign-in read ahead of the limiter: its partitioner is synchronous and the
    /// user id is in the JSON body, so this reads (and rewinds) the body of requests to endpoints under <see cref="Login"/>.
    /// Call after authentication, before the endpoints.
    /// </summary>
    public static WebApplication UseRateLimits(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == Login)
            {
                if (await SignInUser(http.Request) is not { } user)
                {
                    await Results.Problem($"A sign-in body is at most {MaxSignInBodyBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge).ExecuteAsync(http);
                    return;
                }

                http.Items[SignInUserKey] = user;
            }

            await next(http);
        });
        app.UseRateLimiter();
        return app;
    }

    /// <summary>
    /// The <c>userId</c> of a JSON sign-in body, upper-cased (so changing case does not buy attempts); empty when there
    /// is none to read; null when the body is over <see cref="MaxSignInBodyBytes"/>.
    /// </summary>
    private static async Task<string?> SignInUser(HttpRequest request)
    {
        if (request.ContentLength > MaxSignInBodyBytes)
        {
            return null;
        }

        if (!request.HasJsonContentType())
        {
            return string.Empty;
        }

        // Clients may stream the body without a length: the buffer's limit bounds what is read.
        request.EnableBuffering(MaxSignInBodyBytes, MaxSignInBodyBytes);
        var userId = string.Empty;
        try
        {
            using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("userId", out var user) && user.ValueKind == JsonValueKind.String)
            {
                userId = user.GetString()!.ToUpperInvariant();
            }
        }
        catch (JsonException)
        {
            // Not JSON: the endpoint answers 400; the attempt still counts against the IP's empty-user partition.
        }
        catch (IOException)
        {
            // Over the buffer's limit.
            return null;
        }

        request.Body.Position = 0;
        return userId;
    }

    // A partition per user, so one busy annotator (or a runaway script) cannot slow the others down; the load the
    // platform is sized for (1,000 labels/s from 200 annotators) is 10 requests/s per user (next and label), half the default.
    private static string PartitionKey(HttpContext http) =>
        http.User.Identity?.IsAuthenticated == true ? "user:" + http.User.UserId() : "ip:" + RemoteIp(http);

    private static string RemoteIp(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? IPAddress.None.ToString();

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        // The limiters report when the next permit frees up; a client that honours Retry-After never gets a second 429.
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RateLimits).FullName!)
            .LogWarning("Rate limit hit on {Path} by {Caller}; retry after {RetryAfterSeconds} s", http.Request.Path.Value, PartitionKey(http), seconds);
        await Results.Problem(
                $"Too many requests. Try again in {seconds} s.",
                statusCode: StatusCodes.Status429TooManyRequests,
                title: "Rate limit exceeded")
            .ExecuteAsync(http);
    }
}

/// <summary>The <c>RateLimits</c> configuration section.</summary>
internal sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    [Required]
    public TokenBucketLimit PerUser { get; set; } = new();

    [Required]
    public WindowLimit Login { get; set; } = new();

    /// <summary>Sustained <see cref="PerSecond"/> requests with bursts up to <see cref="Burst"/>; <see cref="QueueLimit"/> more wait instead of failing.</summary>
    internal sealed class TokenBucketLimit
    {
        [Range(1, 100_000)]
        public int PerSecond { get; set; } = 20;

        [Range(1, 100_000)]
        public int Burst { get; set; } = 40;

        [Range(0, 10_000)]
        public int QueueLimit { get; set; } = 10;
    }

    /// <summary><see cref="PermitLimit"/> attempts per window of <see cref="WindowSeconds"/>.</summary>
    internal sealed class WindowLimit
    {
        [Range(1, 100_000)]
        public int PermitLimit { get; set; } = 10;

        [Range(1, 86_400)]
        public int WindowSeconds { get; set; } = 60;
    }
}
