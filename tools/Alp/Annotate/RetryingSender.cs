using System.Net;

namespace ActiveLabel.Alp.Annotate;

/// <summary>
/// Sends a request again until the platform answers it, for as long as <see cref="Patience"/> allows: connection
/// errors, timeouts and 5xx are retried with exponential backoff (a service or server restarting), and a 429 waits for
/// its <c>Retry-After</c>. Every attempt is built by the caller from the same values, so a label's retry carries the
/// same request id and is never stored twice.
/// </summary>
internal sealed class RetryingSender(TimeSpan patience, TimeSpan attemptTimeout)
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(30);

    /// <summary>How long one request may keep being retried before its last answer (or error) is final.</summary>
    public TimeSpan Patience { get; } = patience;

    /// <summary>Retries that were needed, by reason: what a run under faults went through.</summary>
    public RetryCounts Retries { get; } = new();

    /// <summary>
    /// Sends what <paramref name="send"/> builds (a new request per attempt, with a token that ends the attempt after
    /// the attempt timeout) and returns the first answer that is not worth retrying, or the last one when patience ran
    /// out. Throws the last transport error when no attempt got an answer.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<CancellationToken, Task<HttpResponseMessage>> send, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        var backoff = FirstBackoff;
        while (true)
        {
            TimeSpan wait;
            using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attempt.CancelAfter(attemptTimeout);
                HttpResponseMessage response;
                try
                {
                    response = await send(attempt.Token);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException && DateTimeOffset.UtcNow < deadline)
                {
                    // Refused, reset or timed out: the service restarts or waits on its database; same request again.
                    Retries.Count(ex is OperationCanceledException ? "timeout" : "connection");
                    await Task.Delay(Jitter(backoff), cancellationToken);
                    backoff = Next(backoff);
                    continue;
                }

                if (!IsRetryable(response.StatusCode) || DateTimeOffset.UtcNow >= deadline)
                {
                    return response;
                }

                Retries.Count(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                wait = response.StatusCode == HttpStatusCode.TooManyRequests ? RetryAfter(response) ?? backoff : Jitter(backoff);
                response.Dispose();
            }

            await Task.Delay(wait, cancellationToken);
            backoff = Next(backoff);
        }
    }

    private static bool IsRetryable(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var delay = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        return delay is { } d ? TimeSpan.FromTicks(Math.Clamp(d.Ticks, 0, MaxRetryAfter.Ticks)) : null;
    }

    private static TimeSpan Next(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));

    // Spread the retries of many annotators, so a restarted service is not met by all of them at once.
    private static TimeSpan Jitter(TimeSpan backoff) => backoff * (0.5 + (Random.Shared.NextDouble() / 2));
}

/// <summary>Retries by reason (<c>connection</c>, <c>timeout</c>, or the status code), thread-safe.</summary>
internal sealed class RetryCounts
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public void Count(string reason) => _counts.AddOrUpdate(reason, 1, (_, n) => n + 1);

    public IReadOnlyDictionary<string, int> Snapshot() => _counts.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value);
}
