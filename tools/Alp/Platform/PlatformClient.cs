using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ActiveLabel.Alp.Platform;

/// <summary>
/// A failed call to the platform, with the text the user needs: what was called, the status, and the server's
/// problem details (title, detail, and field or row errors).
/// </summary>
internal sealed class PlatformException(string message, HttpStatusCode? status = null, JsonElement? problem = null, Exception? inner = null) : Exception(message, inner)
{
    public HttpStatusCode? Status { get; } = status;

    /// <summary>The problem-details body, when the server sent one (e.g. to read its <c>errors</c>).</summary>
    public JsonElement? Problem { get; } = problem;
}

/// <summary>
/// The HTTP client of alp's commands: one base address per service, the bearer token on every call, JSON in the
/// web defaults (camelCase), and errors turned into <see cref="PlatformException"/> carrying the server's message.
/// </summary>
internal sealed class PlatformClient : IDisposable
{
    private readonly HttpClient _http;

    public PlatformClient(PlatformSettings settings, TimeSpan? timeout = null, HttpMessageHandler? handler = null)
    {
        Settings = settings;
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.Timeout = timeout ?? TimeSpan.FromSeconds(100);
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("alp", "1.0"));
    }

    public PlatformSettings Settings { get; }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    public Task<T> GetAsync<T>(PlatformService service, string path, CancellationToken cancellationToken) =>
        SendAsync<T>(service, HttpMethod.Get, path, null, cancellationToken);

    public Task<T> PostJsonAsync<T>(PlatformService service, string path, object body, CancellationToken cancellationToken) =>
        SendAsync<T>(service, HttpMethod.Post, path, JsonContent.Create(body, options: Json), cancellationToken);

    /// <summary>Sends <paramref name="content"/> and reads the JSON answer as <typeparamref name="T"/>; throws <see cref="PlatformException"/> on a non-2xx answer.</summary>
    public async Task<T> SendAsync<T>(PlatformService service, HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(service, method, path, content, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken))!;
    }

    /// <summary>
    /// Sends the request and returns the response with its body unread, for streamed answers (exports); the caller
    /// disposes it. Throws <see cref="PlatformException"/> on a non-2xx answer or when the service is unreachable.
    /// </summary>
    public async Task<HttpResponseMessage> SendRawAsync(PlatformService service, HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        var uri = new Uri(Settings.BaseAddress(service), path);
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new PlatformException($"{service} is not reachable at {Settings.BaseAddress(service)} ({ex.Message}). Is the stack up (scripts/up)? Set --{Flag(service)}-url to point elsewhere.");
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PlatformException($"{method} {uri} timed out after {_http.Timeout.TotalSeconds:0} s.", null, null, ex);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ErrorAsync(method, uri, response, cancellationToken);
        }
    }

    public void Dispose() => _http.Dispose();

    private static async Task<PlatformException> ErrorAsync(HttpMethod method, Uri uri, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var message = new StringBuilder($"{method} {uri.AbsolutePath} failed: {status}");
        JsonElement? problem = null;
        try
        {
            using var document = JsonDocument.Parse(text);
            problem = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            // Not problem details (e.g. a proxy's HTML page): show the start of the text as it is.
        }

        if (problem is { ValueKind: JsonValueKind.Object } p)
        {
            AppendString(message, p, "title");
            AppendString(message, p, "detail");
            if (p.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                // Validation problems: field name to messages.
                foreach (var field in errors.EnumerateObject())
                {
                    foreach (var error in field.Value.EnumerateArray())
                    {
                        message.Append(CultureInfoInvariant($"\n  {field.Name}: {error.GetString()}"));
                    }
                }
            }
        }
        else if (text.Length > 0)
        {
            message.Append(": ").Append(text.Length > 500 ? text[..500] + "…" : text);
        }

        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            message.Append("\n  The token was refused: check --token / ALP_TOKEN (alp-admin tokens create --user <id>).");
        }

        return new PlatformException(message.ToString(), response.StatusCode, problem);
    }

    private static void AppendString(StringBuilder message, JsonElement problem, string name)
    {
        if (problem.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
        {
            message.Append(". ").Append(text.TrimEnd('.')).Append(name == "detail" ? "." : "");
        }
    }

    private static string CultureInfoInvariant(FormattableString text) => FormattableString.Invariant(text);

    private static string Flag(PlatformService service) => service switch
    {
        PlatformService.Ingestion => "ingestion",
        PlatformService.Labeling => "labeling",
        _ => "query-sampler",
    };
}
