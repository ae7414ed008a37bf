using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ActiveLabel.IntegrationTests.Infrastructure;

/// <summary>One of the platform's services, run from its build output as a separate OS process on a free port.</summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServiceProcess(string service, Process process, Uri baseAddress)
    {
        Service = service;
        _process = process;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    public string Service { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }

    /// <summary>The OS process id (a Trainer records it, with the host name, as the replica that trained a model).</summary>
    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts the service against the given database and virtual host and waits until it is ready;
    /// <paramref name="environment"/> adds or overrides settings (e.g. <c>Ingestion__Upload__MaxBodyBytes</c>).
    /// </summary>
    public static async Task<ServiceProcess> StartAsync(
        string service, string connectionString, string virtualHost, int? rabbitPort = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dll = TestEnvironment.ServiceDll(service);
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{service} is not built for {TestEnvironment.Configuration}.", dll);
        }

        // A free port can be taken between choosing it and the service binding it (an outgoing connection gets it as
        // its ephemeral port), so a start that fails on that is tried again on new ports.
        for (var attempt = 1; ; attempt++)
        {
            var started = Launch(service, dll, connectionString, virtualHost, rabbitPort, environment);
            try
            {
                await started.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
                return started;
            }
            catch (InvalidOperationException) when (attempt < 3 && started.RecentOutput().Contains("address already in use", StringComparison.Ordinal))
            {
                await started.DisposeAsync();
            }
        }
    }

    private static ServiceProcess Launch(
        string service, string dll, string connectionString, string virtualHost, int? rabbitPort, IReadOnlyDictionary<string, string>? environment)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var startInfo = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.Environment["ConnectionStrings__Platform"] = connectionString;
        startInfo.Environment["RabbitMq__Host"] = TestEnvironment.RabbitHost;
        startInfo.Environment["RabbitMq__Port"] = (rabbitPort ?? TestEnvironment.RabbitPort).ToString(System.Globalization.CultureInfo.InvariantCulture);
        startInfo.Environment["RabbitMq__VirtualHost"] = virtualHost;
        startInfo.Environment["RabbitMq__Username"] = TestEnvironment.RabbitUser;
        startInfo.Environment["RabbitMq__Password"] = TestEnvironment.RabbitPassword;
        startInfo.Environment["Kestrel__Endpoints__Http__Url"] = baseAddress.ToString();
        if (service == "QuerySampler")
        {
            // Its gRPC Scorer listens on 5105 by default: a free port keeps test processes off a running stack's port.
            startInfo.Environment["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{FreePort()}";
        }

        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        var process = new Process { StartInfo = startInfo };
        var service_ = new ServiceProcess(service, process, baseAddress);
        process.OutputDataReceived += (_, e) => service_.Record(e.Data);
        process.ErrorDataReceived += (_, e) => service_.Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service_;
    }

    public async Task<HttpStatusCode> ReadinessAsync()
    {
        using var response = await Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        return response.StatusCode;
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        try
        {
            await Wait.UntilAsync(async () => _process.HasExited || await ReadinessAsync() == HttpStatusCode.OK, timeout, $"{Service} to be ready");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(ex.Message + " Recent output:\n" + RecentOutput(), ex);
        }

        if (_process.HasExited)
        {
            _process.WaitForExit(); // the output read so far, to its end
            throw new InvalidOperationException($"{Service} exited with code {_process.ExitCode} before it was ready. Recent output:\n{RecentOutput()}");
        }
    }

    public string RecentOutput() => string.Join('\n', _output);

    /// <summary>Sends SIGTERM, as Kubernetes and scripts/down do, and returns the exit code once the process ended.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        await ProcessRunner.RunAsync("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        using var deadline = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(deadline.Token);
        return _process.ExitCode;
    }

    /// <summary>Freezes the process (SIGSTOP): its connections stay open but it does nothing, like a stalled pod.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>Lets a paused process go on (SIGCONT).</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task SignalAsync(string signal) =>
        await ProcessRunner.RunAsync("kill", [signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200)
        {
            _output.TryDequeue(out _);
        }
    }

    /// <summary>A loopback port nothing listens on right now.</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
