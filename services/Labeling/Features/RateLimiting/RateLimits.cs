using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
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

    /// <summary>Logins: a fixed window per remote IP, since the user is not known before the login succeeds.</summary>
    public const string Login = "login";

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
            limiter.AddPolicy(Login, http => RateLimitPartition.GetFixedWindowLimiter("ip:" + RemoteIp(http), _ => new FixedWindowRateLimiterOptions
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

    // A partition per user, so one busy annotator (or a runaway script) cannot slow the others down; the load the
    // platform is sized for (1,000 labels/s from 200 annotators) is 5 requests/s per user, well inside the default.
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
