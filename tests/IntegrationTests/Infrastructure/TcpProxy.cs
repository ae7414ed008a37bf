using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ActiveLabel.IntegrationTests.Infrastructure;

/// <summary>
/// A TCP relay between the services and a real server, used to make that server unreachable and reachable again:
/// <see cref="Cut"/> stops listening and resets every open connection, exactly what a client sees when the server
/// host goes away; <see cref="Restore"/> listens again on the same port.
/// </summary>
internal sealed class TcpProxy : IDisposable
{
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<TcpClient, byte> _connections = new();
    private TcpListener? _listener;
    private CancellationTokenSource? _acceptLoop;

    public TcpProxy(string targetHost, int targetPort)
    {
        _target = new IPEndPoint(Dns.GetHostAddresses(targetHost).First(a => a.AddressFamily == AddressFamily.InterNetwork), targetPort);
        Port = ReservePort();
        Restore();
    }

    public int Port { get; }

    public void Restore()
    {
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _acceptLoop = new CancellationTokenSource();
        _ = AcceptAsync(_listener, _acceptLoop.Token);
    }

    public void Cut()
    {
        if (_acceptLoop is not null)
        {
            _acceptLoop.Cancel();
            _acceptLoop.Dispose();
            _acceptLoop = null;
        }

        _listener?.Stop();
        _listener = null;
        foreach (var connection in _connections.Keys)
        {
            // Linger 0 sends RST rather than FIN: the peer sees a dead connection at once.
            try
            {
                connection.Client?.LingerState = new LingerOption(true, 0);
            }
            catch (ObjectDisposedException)
            {
                // Closed by its relay meanwhile.
            }

            connection.Dispose();
        }

        _connections.Clear();
    }

    public void Dispose() => Cut();

    private async Task AcceptAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = RelayAsync(client, cancellationToken);
        }
    }

    private async Task RelayAsync(TcpClient client, CancellationToken cancellationToken)
    {
        var upstream = new TcpClient();
        _connections[client] = 0;
        _connections[upstream] = 0;
        try
        {
            await upstream.ConnectAsync(_target, cancellationToken);
            var down = client.GetStream().CopyToAsync(upstream.GetStream(), cancellationToken);
            var up = upstream.GetStream().CopyToAsync(client.GetStream(), cancellationToken);
            await Task.WhenAny(down, up);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection ends with the proxy or with either side; the peers see it closed.
        }
        finally
        {
            _connections.TryRemove(client, out _);
            _connections.TryRemove(upstream, out _);
            client.Dispose();
            upstream.Dispose();
        }
    }

    private static int ReservePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
