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

    /// <summary>How long one request is retried (connection errors, timeouts, 5xx, 429) before it counts as an error.</summary>
    public TimeSpan Patience { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Where to write every acknowledged label (<see cref="AckLog"/>); null for none.</summary>
    public string? AcksPath { get; init; }

    /// <summary>The annotators stop taking new items once this file exists (a harness ends an open-ended run).</summary>
    public string? StopFile { get; init; }
}

/// <summary>
/// N concurrent annotators labeling a project through the public HTTP API, each answering from an <see cref="Oracle"/>:
/// ensures the users exist and are members, takes a token for each, then loops next-item → label until the budget is
/// spent, nothing is left or the stop file appears. Every label carries a fresh request id and is retried with the
/// same id (<see cref="RetryingSender"/>), so what the API acknowledged (<see cref="AckLog"/>) can be compared with
/// what was stored.
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
    { Timeout = Timeout.InfiniteTimeSpan }; // each attempt has its own timeout (RetryingSender)
    private readonly RetryingSender _sender = new(settings.Patience, attemptTimeout: TimeSpan.FromSeconds(30));
    private readonly AckLog _acks = new(settings.AcksPath);
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

    public void Dispose()
    {
        _http.Dispose();
        _acks.Dispose();
    }

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
            Retries = _sender.Retries.Snapshot(),
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
        while (schedule.Continues() && !(settings.StopFile is { } stop && File.Exists(stop)) && Interlocked.Decrement(ref _budget) >= 0)
        {
            // Paced: the cycle's latency counts from when it was due, so a slow answer that delays the next cycle is
            // counted against the server instead of silently lowering the offered load (coordinated omission).
            var due = await schedule.WaitForNextAsync(cancellationToken);
            JsonElement? item;
            try
            {
                item = await NextAsync(token, due, cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // The platform did not answer within the patience: this annotator gives up, the others go on.
                LogError($"{user} stopped: next item failed: {ex.Message}");
                return;
            }

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
                await SkipAsync(itemId, token, cancellationToken);
                Interlocked.Increment(ref _budget);
                continue;
            }

            if (settings.PerItemTime is { } think)
            {
                await Task.Delay(think, cancellationToken);
            }

            try
            {
                await SubmitAsync(itemId, label, user, token, cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // No answer within the patience: whether the label was stored is unknown, so it is not acknowledged.
                LogError($"Label of item {itemId} by {user} got no answer: {ex.Message}");
            }
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

    private async Task SubmitAsync(long itemId, string label, string user, string token, CancellationToken cancellationToken)
    {
        var requestId = Guid.NewGuid();
        var body = new { requestId, label, timeSpentMs = (int?)settings.PerItemTime?.TotalMilliseconds };
        var started = Stopwatch.GetTimestamp();
        using var response = await SendWithRetryAsync(HttpMethod.Post, $"/api/projects/{settings.ProjectId}/items/{itemId}/labels", token, body, cancellationToken);
        _submit.RecordSince(started);
        switch (response.StatusCode)
        {
            case HttpStatusCode.Created or HttpStatusCode.OK:
                var stored = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                var labelId = stored.GetProperty("id").GetInt64();
                _acks.Write(labelId, requestId, itemId, user, (int)response.StatusCode);
                if (!_acceptedLabelIds.TryAdd(labelId, itemId))
                {
                    Interlocked.Increment(ref _replayed);
                }

                break;
            case HttpStatusCode.Conflict:
                Interlocked.Increment(ref _conflicts);
                break;
            default:
                // Give the item back, or this annotator would be handed the same held item again and again.
                LogError($"Label of item {itemId} refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                await SkipAsync(itemId, token, cancellationToken);
                break;
        }
    }

    private async Task SkipAsync(long itemId, string token, CancellationToken cancellationToken)
    {
        try
        {
            using var _ = await SendWithRetryAsync(HttpMethod.Post, $"/api/projects/{settings.ProjectId}/items/{itemId}/skip", token, null, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // The lease expires on its own; only this annotator's next item is affected.
            LogError($"Skip of item {itemId} got no answer: {ex.Message}");
        }
    }

    private void LogError(string message)
    {
        if (Interlocked.Increment(ref _errors) <= MaxErrorsLogged)
        {
            log.WriteLine(message);
        }
    }

    /// <summary>Sends with <see cref="RetryingSender"/>: every attempt carries the same body, so the same request id.</summary>
    private Task<HttpResponseMessage> SendWithRetryAsync(HttpMethod method, string path, string token, object? body, CancellationToken cancellationToken) =>
        _sender.SendAsync(attempt => SendAsync(method, path, token, body, attempt), cancellationToken);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(settings.LabelingUrl, path)) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _http.SendAsync(request, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAdminAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        var response = await _sender.SendAsync(
            async attempt =>
            {
                using var request = new HttpRequestMessage(method, new Uri(settings.IngestionUrl, path)) { Content = body is null ? null : JsonContent.Create(body) };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.AdminToken);
                return await _http.SendAsync(request, attempt);
            },
            cancellationToken);
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

    /// <summary>Requests sent again, by reason (<c>connection</c>, <c>timeout</c>, or the status code).</summary>
    public IReadOnlyDictionary<string, int> Retries { get; init; } = new Dictionary<string, int>();
}
