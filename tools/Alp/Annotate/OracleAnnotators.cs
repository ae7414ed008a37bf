using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ActiveLabel.Alp.Annotate;

/// <summary>What <see cref="OracleAnnotators"/> plays.</summary>
internal sealed record AnnotateSettings(
    Uri IngestionUrl, Uri LabelingUrl, string AdminToken, Guid ProjectId, int Annotators, int Budget, string UserPrefix, TimeSpan? PerItemTime)
{
    /// <summary>Paced (open-loop) annotators: each starts a next-item + label cycle at this many per second; null = closed loop.</summary>
    public double? RatePerAnnotator { get; init; }

    /// <summary>Stop starting new cycles after this long (the budget still caps the labels).</summary>
    public TimeSpan? Duration { get; init; }
}

/// <summary>
/// N concurrent annotators labeling a project through the public HTTP API, each answering from an <see cref="Oracle"/>:
/// ensures the users exist and are members, takes a token for each, then loops next-item → label until the budget is
/// spent or nothing is left. Every label carries a fresh request id and is retried with the same id on transport
/// errors, so what the API acknowledged can be compared with what was stored.
/// </summary>
internal sealed class OracleAnnotators(AnnotateSettings settings, Oracle oracle, TextWriter log) : IDisposable
{
    private const int MaxErrorsLogged = 5;
    // One connection per annotator, kept open; no proxy lookup, cookies or decompression on the hot path.
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 1024,
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    })
    { Timeout = TimeSpan.FromSeconds(30) };
    private readonly LatencyRecorder _next = new();
    private readonly LatencyRecorder _submit = new();
    private readonly ConcurrentDictionary<long, long> _acceptedLabelIds = new();
    private readonly ConcurrentDictionary<long, string> _servedTo = new();
    private int _budget;
    private int _replayed;
    private int _conflicts;
    private int _unknown;
    private int _servedTwice;
    private int _errors;

    public void Dispose() => _http.Dispose();

    public async Task<AnnotateSummary> RunAsync(CancellationToken cancellationToken)
    {
        _budget = settings.Budget;
        var tokens = await PrepareAnnotatorsAsync(cancellationToken);
        var clock = Stopwatch.StartNew();
        var pacing = new Pacing(settings.RatePerAnnotator, settings.Annotators, settings.Duration, Stopwatch.GetTimestamp());
        await Task.WhenAll(tokens.Select((t, i) => AnnotateAsync(t.User, t.Token, pacing.ForAnnotator(i), cancellationToken)));
        clock.Stop();
        return new AnnotateSummary(
            settings.Annotators, settings.Budget, _acceptedLabelIds.Count, _replayed, _conflicts, _unknown, _servedTwice, _errors,
            clock.Elapsed.TotalSeconds, _acceptedLabelIds.Count / Math.Max(clock.Elapsed.TotalSeconds, 1e-9),
            _next.Summarize(), _submit.Summarize(), [.. _acceptedLabelIds.Keys.Order()])
        {
            RatePerAnnotator = settings.RatePerAnnotator,
            MissedSchedule = pacing.Missed,
        };
    }

    private async Task<List<(string User, string Token)>> PrepareAnnotatorsAsync(CancellationToken cancellationToken)
    {
        var tokens = new List<(string, string)>();
        for (var i = 1; i <= settings.Annotators; i++)
        {
            var user = $"{settings.UserPrefix}-{i}";
            await SendAdminAsync(HttpMethod.Put, $"/api/users/{user}", new { role = "annotator" }, cancellationToken);
            await SendAdminAsync(HttpMethod.Put, $"/api/projects/{settings.ProjectId}/members/{user}", null, cancellationToken);
            using var token = await SendAdminAsync(HttpMethod.Post, $"/api/users/{user}/tokens", new { name = "alp annotate" }, cancellationToken);
            var body = await token.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            tokens.Add((user, body.GetProperty("token").GetString()!));
        }

        return tokens;
    }

    private async Task AnnotateAsync(string user, string token, Pacing.Schedule schedule, CancellationToken cancellationToken)
    {
        while (schedule.Continues() && Interlocked.Decrement(ref _budget) >= 0)
        {
            // Paced: the cycle's latency counts from when it was due, so a slow answer that delays the next cycle is
            // counted against the server instead of silently lowering the offered load (coordinated omission).
            var due = await schedule.WaitForNextAsync(cancellationToken);
            var item = await NextAsync(token, due, cancellationToken);
            if (item is null)
            {
                return; // Nothing left for this annotator.
            }

            var itemId = item.Value.GetProperty("itemId").GetInt64();
            if (_servedTo.GetOrAdd(itemId, user) != user)
            {
                Interlocked.Increment(ref _servedTwice);
                log.WriteLine($"Item {itemId} was served to {user} after {_servedTo[itemId]}.");
            }

            var label = oracle.LabelFor(item.Value.GetProperty("externalId").GetString()!, item.Value.GetProperty("payload"));
            if (label is null)
            {
                Interlocked.Increment(ref _unknown);
                using (await SendAsync(HttpMethod.Post, $"/api/projects/{settings.ProjectId}/items/{itemId}/skip", token, null, cancellationToken))
                {
                }

                Interlocked.Increment(ref _budget);
                continue;
            }

            if (settings.PerItemTime is { } think)
            {
                await Task.Delay(think, cancellationToken);
            }

            await SubmitAsync(itemId, label, token, cancellationToken);
        }
    }

    private async Task<JsonElement?> NextAsync(string token, long dueTimestamp, CancellationToken cancellationToken)
    {
        using var response = await SendWithRetryAsync(HttpMethod.Post, $"/api/projects/{settings.ProjectId}/next", token, null, cancellationToken);
        _next.RecordSince(dueTimestamp);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return null;
        }

        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
    }

    private async Task SubmitAsync(long itemId, string label, string token, CancellationToken cancellationToken)
    {
        var body = new { requestId = Guid.NewGuid(), label, timeSpentMs = (int?)settings.PerItemTime?.TotalMilliseconds };
        var started = Stopwatch.GetTimestamp();
        using var response = await SendWithRetryAsync(HttpMethod.Post, $"/api/projects/{settings.ProjectId}/items/{itemId}/labels", token, body, cancellationToken);
        _submit.RecordSince(started);
        switch (response.StatusCode)
        {
            case HttpStatusCode.Created or HttpStatusCode.OK:
                var stored = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                if (!_acceptedLabelIds.TryAdd(stored.GetProperty("id").GetInt64(), itemId))
                {
                    Interlocked.Increment(ref _replayed);
                }

                break;
            case HttpStatusCode.Conflict:
                Interlocked.Increment(ref _conflicts);
                break;
            default:
                // Give the item back, or this annotator would be handed the same held item again and again.
                if (Interlocked.Increment(ref _errors) <= MaxErrorsLogged)
                {
                    log.WriteLine($"Label of item {itemId} refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }

                using (await SendAsync(HttpMethod.Post, $"/api/projects/{settings.ProjectId}/items/{itemId}/skip", token, null, cancellationToken))
                {
                }

                break;
        }
    }

    /// <summary>Retries transport failures and 5xx with the same body (the same request id), so a retry is never a second label.</summary>
    private async Task<HttpResponseMessage> SendWithRetryAsync(HttpMethod method, string path, string token, object? body, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var response = await SendAsync(method, path, token, body, cancellationToken);
                if ((int)response.StatusCode < 500 || attempt == 8)
                {
                    return response;
                }

                response.Dispose();
            }
            catch (HttpRequestException) when (attempt < 8)
            {
                // The service restarts or is briefly unreachable; the same request id makes the retry safe.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100 * Math.Pow(2, attempt)), cancellationToken);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(settings.LabelingUrl, path)) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _http.SendAsync(request, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAdminAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(settings.IngestionUrl, path)) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.AdminToken);
        var response = await _http.SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return response;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var detail = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}: {detail}");
        }
    }
}

/// <summary>What a run of oracle annotators did; <c>alp annotate --json</c> prints it.</summary>
internal sealed record AnnotateSummary(
    int Annotators, int Budget, int Accepted, int Replayed, int Conflicts, int UnknownItems, int ServedTwice, int Errors,
    double Seconds, double LabelsPerSecond, LatencySummary NextItem, LatencySummary SubmitLabel, IReadOnlyList<long> LabelIds)
{
    /// <summary>The paced rate per annotator (labels/s), null for a closed loop.</summary>
    public double? RatePerAnnotator { get; init; }

    /// <summary>Paced cycles that started more than one period late (the server could not keep up with the offered load).</summary>
    public long MissedSchedule { get; init; }
}
