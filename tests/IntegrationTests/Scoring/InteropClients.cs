using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using ActiveLabel.IntegrationTests.Infrastructure;

namespace ActiveLabel.IntegrationTests.Scoring;

/// <summary>
/// gRPC clients nobody on this project wrote, run as processes: Node's @grpc/grpc-js (tests/interop/node) and
/// Debian's python3-grpcio (tests/interop/python). Each prints what its library reported as JSON.
/// </summary>
internal static class InteropClients
{
    public const string Node = "grpc-js";
    public const string Python = "python3-grpcio";

    private static readonly string InteropRoot = Path.Combine(TestEnvironment.RepoRoot, "tests", "interop");

    /// <summary>Calls Scorer.Predict with the named client and returns what it printed.</summary>
    /// <param name="client"><see cref="Node"/> or <see cref="Python"/>.</param>
    /// <param name="fixture">Where the Scorer is, and the Python messages.</param>
    /// <param name="request">The PredictRequest, with the proto's field names.</param>
    /// <param name="token">Sent as <c>authorization: Bearer</c> metadata when given.</param>
    /// <param name="timeoutMs">The call's deadline.</param>
    /// <param name="padBytes">Adds a raw item with this much text, to make the message large.</param>
    /// <param name="gzip">Compresses the request (Python only).</param>
    public static Task<ClientResult> PredictAsync(
        string client, ScorerFixture fixture, object request, string? token, double timeoutMs = 10_000, int padBytes = 0, bool gzip = false) =>
        PredictAsync(client, fixture.GrpcAddress, fixture.PythonMessages, request, token, timeoutMs, padBytes, gzip);

    /// <summary>Calls the Scorer at <paramref name="grpcAddress"/>; <paramref name="pythonMessages"/> is from <see cref="GeneratePythonMessagesAsync"/>.</summary>
    public static async Task<ClientResult> PredictAsync(
        string client, Uri grpcAddress, string pythonMessages, object request, string? token, double timeoutMs = 10_000, int padBytes = 0, bool gzip = false)
    {
        var address = $"{grpcAddress.Host}:{grpcAddress.Port}";
        List<string> arguments =
        [
            "--address", address, "--request", JsonSerializer.Serialize(request),
            "--timeout-ms", timeoutMs.ToString(CultureInfo.InvariantCulture), "--pad-bytes", padBytes.ToString(CultureInfo.InvariantCulture),
        ];
        if (token is not null)
        {
            arguments.AddRange(["--token", token]);
        }

        string output;
        if (client == Node)
        {
            Assert.False(gzip, "The Node client script does not compress.");
            if (!Directory.Exists(Path.Combine(InteropRoot, "node", "node_modules", "@grpc", "grpc-js")))
            {
                throw new InvalidOperationException("@grpc/grpc-js is not installed: run `npm ci --prefix tests/interop/node` (scripts/test does).");
            }

            output = await ProcessRunner.RunAsync("node", [Path.Combine(InteropRoot, "node", "predict.js"), .. arguments]);
        }
        else
        {
            if (gzip)
            {
                arguments.Add("--gzip");
            }

            output = await ProcessRunner.RunAsync(
                "/usr/bin/python3", [Path.Combine(InteropRoot, "python", "predict.py"), "--generated", pythonMessages, .. arguments]);
        }

        return new ClientResult(JsonDocument.Parse(output).RootElement.Clone());
    }

    /// <summary>
    /// Generates scorer_pb2.py from shared/Scoring/scorer.proto with the protoc of the Grpc.Tools package the build
    /// restored, into a new temporary directory, so no generated Python is committed.
    /// </summary>
    public static async Task<string> GeneratePythonMessagesAsync()
    {
        var version = XDocument.Load(Path.Combine(TestEnvironment.RepoRoot, "Directory.Packages.props"))
            .Descendants("PackageVersion").Single(p => (string?)p.Attribute("Include") == "Grpc.Tools").Attribute("Version")!.Value;
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var protoc = Path.Combine(packages, "grpc.tools", version, "tools", "linux_x64", "protoc");
        var output = Directory.CreateTempSubdirectory("alp-scorer-py-").FullName;
        await ProcessRunner.RunAsync(protoc, ["-I", Path.Combine(TestEnvironment.RepoRoot, "shared", "Scoring"), "--python_out=" + output, "scorer.proto"]);
        return output;
    }
}

/// <summary>What an interop client printed: a response, or the status its library reported.</summary>
internal sealed record ClientResult(JsonElement Json)
{
    public bool Ok => Json.GetProperty("ok").GetBoolean();

    /// <summary>The gRPC status code the client library saw.</summary>
    public int Code => Ok ? 0 : Json.GetProperty("code").GetInt32();

    /// <summary>The status message the client library saw (decoded from grpc-message).</summary>
    public string Details => Ok ? "" : Json.GetProperty("details").GetString() ?? "";

    public JsonElement Response => Json.GetProperty("response");

    public override string ToString() => Json.ToString();
}
