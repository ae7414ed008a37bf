using System.Diagnostics;
using System.Net;
using ActiveLabel.Alp.Annotate;

namespace ActiveLabel.Alp.Tests;

/// <summary>How alp annotate keeps a request going through restarts without ever making it a second request.</summary>
public sealed class RetryingSenderTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Should_wait_for_Retry_After_on_429_and_send_the_same_request_again()
    {
        var answers = new Queue<HttpResponseMessage>([Status(HttpStatusCode.TooManyRequests, retryAfterSeconds: 1), Status(HttpStatusCode.Created)]);
        var attempts = 0;
        var clock = Stopwatch.StartNew();

        using var response = await new RetryingSender(Patience, TimeSpan.FromSeconds(5)).SendAsync(_ =>
        {
            attempts++;
            return Task.FromResult(answers.Dequeue());
        }, CancellationToken.None);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(2, attempts);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(950), $"retried after {clock.Elapsed.TotalMilliseconds} ms, before Retry-After");
    }

    [Fact]
    public async Task Should_retry_5xx_and_connection_errors_and_count_them_by_reason()
    {
        var sender = new RetryingSender(Patience, TimeSpan.FromSeconds(5));
        var attempts = 0;

        using var response = await sender.SendAsync(_ => ++attempts switch
        {
            1 => throw new HttpRequestException("Connection refused"),
            2 => Task.FromResult(Status(HttpStatusCode.ServiceUnavailable)),
            _ => Task.FromResult(Status(HttpStatusCode.OK)),
        }, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Dictionary<string, int> { ["503"] = 1, ["connection"] = 1 }, sender.Retries.Snapshot());
    }

    [Fact]
    public async Task Should_return_a_client_error_at_once()
    {
        var attempts = 0;

        using var response = await new RetryingSender(Patience, TimeSpan.FromSeconds(5)).SendAsync(_ =>
        {
            attempts++;
            return Task.FromResult(Status(HttpStatusCode.Conflict));
        }, CancellationToken.None);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task Should_give_up_with_the_last_error_once_patience_runs_out()
    {
        var attempts = 0;

        await Assert.ThrowsAsync<HttpRequestException>(() => new RetryingSender(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5)).SendAsync(_ =>
        {
            attempts++;
            throw new HttpRequestException("Connection refused");
        }, CancellationToken.None));
        Assert.True(attempts > 1, "no retry before giving up");
    }

    [Fact]
    public async Task Should_end_an_attempt_that_hangs_past_the_attempt_timeout_and_try_again()
    {
        var attempts = 0;

        using var response = await new RetryingSender(Patience, TimeSpan.FromMilliseconds(200)).SendAsync(async attempt =>
        {
            if (++attempts == 1)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, attempt); // a service that accepted the connection and hangs
            }

            return Status(HttpStatusCode.Created);
        }, CancellationToken.None);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(2, attempts);
    }

    private static HttpResponseMessage Status(HttpStatusCode status, int? retryAfterSeconds = null)
    {
        var response = new HttpResponseMessage(status);
        if (retryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(seconds));
        }

        return response;
    }
}
