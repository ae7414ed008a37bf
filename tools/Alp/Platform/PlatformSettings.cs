using System.CommandLine;

namespace ActiveLabel.Alp.Platform;

/// <summary>The platform's HTTP services that alp talks to.</summary>
internal enum PlatformService
{
    Ingestion,
    Labeling,
    QuerySampler,
}

/// <summary>Where the services are and which token to send. Resolved from options, then environment, then defaults.</summary>
internal sealed record PlatformSettings(Uri Ingestion, Uri Labeling, Uri QuerySampler, string Token)
{
    public const string TokenFile = ".local/admin.token";

    public Uri BaseAddress(PlatformService service) => service switch
    {
        PlatformService.Ingestion => Ingestion,
        PlatformService.Labeling => Labeling,
        _ => QuerySampler,
    };

    /// <summary>
    /// Resolves the settings. The token comes from <paramref name="token"/>, else <c>ALP_TOKEN</c>, else the file
    /// <c>.local/admin.token</c> in <paramref name="directory"/> or the nearest parent that has one (scripts/up writes it).
    /// </summary>
    public static PlatformSettings Resolve(
        string? token, string? ingestionUrl, string? labelingUrl, string? querySamplerUrl, Func<string, string?> environment, string directory)
    {
        token ??= environment("ALP_TOKEN") is { Length: > 0 } fromEnvironment ? fromEnvironment : FindTokenFile(directory);
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new PlatformException(
                $"No API token: pass --token, set ALP_TOKEN, or run inside the repository after scripts/up (which writes {TokenFile}).");
        }

        return new PlatformSettings(
            Url(ingestionUrl ?? environment("ALP_INGESTION_URL") ?? "http://localhost:5101", "--ingestion-url / ALP_INGESTION_URL"),
            Url(labelingUrl ?? environment("ALP_LABELING_URL") ?? "http://localhost:5102", "--labeling-url / ALP_LABELING_URL"),
            Url(querySamplerUrl ?? environment("ALP_QUERYSAMPLER_URL") ?? "http://localhost:5104", "--query-sampler-url / ALP_QUERYSAMPLER_URL"),
            token.Trim());
    }

    private static string? FindTokenFile(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, TokenFile);
            if (File.Exists(path))
            {
                return File.ReadAllText(path).Trim();
            }
        }

        return null;
    }

    private static Uri Url(string value, string source) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new PlatformException($"'{value}' is not an http(s) URL ({source}).");
}

/// <summary>
/// The connection options every command that calls the platform takes: <c>--token</c> and the services' URLs.
/// Add them with <see cref="AddTo"/>, then build a client from the parse result with <see cref="CreateClient"/>.
/// </summary>
internal sealed class PlatformOptions
{
    private readonly Option<string?> _token = new("--token") { Description = "API token (default: ALP_TOKEN, else .local/admin.token above the current folder)." };
    private readonly Option<string?> _ingestion = new("--ingestion-url") { Description = "Ingestion base URL (default: ALP_INGESTION_URL, else http://localhost:5101)." };
    private readonly Option<string?> _labeling = new("--labeling-url") { Description = "Labeling base URL (default: ALP_LABELING_URL, else http://localhost:5102)." };
    private readonly Option<string?> _querySampler = new("--query-sampler-url") { Description = "QuerySampler base URL (default: ALP_QUERYSAMPLER_URL, else http://localhost:5104)." };

    /// <summary>Reads the environment; tests replace it.</summary>
    public static Func<string, string?> Environment { get; set; } = System.Environment.GetEnvironmentVariable;

    public static PlatformOptions AddTo(Command command)
    {
        var options = new PlatformOptions();
        command.Options.Add(options._token);
        command.Options.Add(options._ingestion);
        command.Options.Add(options._labeling);
        command.Options.Add(options._querySampler);
        return options;
    }

    public PlatformSettings Resolve(ParseResult parse) => PlatformSettings.Resolve(
        parse.GetValue(_token), parse.GetValue(_ingestion), parse.GetValue(_labeling), parse.GetValue(_querySampler), Environment, Directory.GetCurrentDirectory());

    /// <summary>A client for the resolved settings; <paramref name="timeout"/> bounds each call (long for uploads and exports).</summary>
    public PlatformClient CreateClient(ParseResult parse, TimeSpan? timeout = null) => new(Resolve(parse), timeout);
}
