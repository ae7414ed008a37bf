using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace ActiveLabel.IntegrationTests.BadInput;

/// <summary>
/// HTTP/1.1 on a plain socket, for the uploads no HttpClient sends as needed: a huge declared Content-Length with no
/// body behind it, and a chunked body that goes on until the server refuses it. Counts the body bytes it sent.
/// </summary>
internal sealed class RawHttpUpload
{
    /// <summary>The status code, the body of the answer, and how many body bytes had been written when it came.</summary>
    public sealed record Answer(int Status, string Body, long BodyBytesSent);

    /// <summary>
    /// Sends the request head with <c>Content-Length: <paramref name="declaredLength"/></c> and no body, then reads the
    /// answer: a server that checks the length answers at once; one that waits for the body never does.
    /// </summary>
    public static async Task<Answer> DeclareLengthAsync(Uri baseAddress, string path, string token, string contentType, long declaredLength, TimeSpan timeout)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(baseAddress.Host, baseAddress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Head(baseAddress, path, token, contentType, $"Content-Length: {declaredLength.ToString(CultureInfo.InvariantCulture)}"));
        using var deadline = new CancellationTokenSource(timeout);
        return await ReadAnswerAsync(stream, 0, deadline.Token);
    }

    /// <summary>
    /// Sends a chunked body, <paramref name="header"/> then <paramref name="row"/> repeated, until the server answers
    /// or <paramref name="maxBytes"/> have been sent; returns the answer and the body bytes written before it.
    /// </summary>
    public static async Task<Answer> StreamUntilRefusedAsync(
        Uri baseAddress, string path, string token, string contentType, string header, string row, long maxBytes, TimeSpan timeout)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(baseAddress.Host, baseAddress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Head(baseAddress, path, token, contentType, "Transfer-Encoding: chunked"));
        using var deadline = new CancellationTokenSource(timeout);
        long sent = 0;
        var answer = ReadAnswerAsync(stream, 0, deadline.Token);
        var chunk = Chunk(string.Concat(Enumerable.Repeat(row, Math.Max(1, 16 * 1024 / row.Length))));
        try
        {
            await stream.WriteAsync(Chunk(header), deadline.Token);
            while (!answer.IsCompleted && sent < maxBytes)
            {
                await stream.WriteAsync(chunk, deadline.Token);
                sent += chunk.Length;
            }
        }
        catch (IOException)
        {
            // The server closed the connection after answering: the answer is what counts.
        }

        var result = await answer;
        return result with { BodyBytesSent = sent };
    }

    private static byte[] Head(Uri baseAddress, string path, string token, string contentType, string lengthHeader) => Encoding.ASCII.GetBytes(
        $"POST {path} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nAuthorization: Bearer {token}\r\nContent-Type: {contentType}\r\n{lengthHeader}\r\n\r\n");

    private static byte[] Chunk(string text)
    {
        var data = Encoding.UTF8.GetBytes(text);
        return [.. Encoding.ASCII.GetBytes(data.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), .. data, .. "\r\n"u8];
    }

    /// <summary>Reads the status line, the headers and the body (by Content-Length, chunks, or to the close).</summary>
    private static async Task<Answer> ReadAnswerAsync(NetworkStream stream, long sent, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        var buffer = new byte[8192];
        int headEnd;
        while ((headEnd = IndexOf(received, "\r\n\r\n"u8)) < 0)
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                throw new IOException("The server closed the connection without an answer.");
            }

            received.Write(buffer, 0, read);
        }

        var head = Encoding.ASCII.GetString(received.GetBuffer(), 0, headEnd);
        var lines = head.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        var body = new MemoryStream();
        body.Write(received.GetBuffer(), headEnd + 4, (int)received.Length - headEnd - 4);
        async Task<bool> MoreAsync()
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            body.Write(buffer, 0, read);
            return read > 0;
        }

        if (headers.TryGetValue("content-length", out var length))
        {
            while (body.Length < long.Parse(length, CultureInfo.InvariantCulture) && await MoreAsync())
            {
            }

            return new Answer(status, Encoding.UTF8.GetString(body.ToArray()), sent);
        }

        if (headers.GetValueOrDefault("transfer-encoding") == "chunked")
        {
            while (IndexOf(body, "0\r\n\r\n"u8) < 0 && await MoreAsync())
            {
            }

            return new Answer(status, Dechunk(body.ToArray()), sent);
        }

        while (await MoreAsync())
        {
        }

        return new Answer(status, Encoding.UTF8.GetString(body.ToArray()), sent);
    }

    private static string Dechunk(byte[] data)
    {
        var text = new StringBuilder();
        var position = 0;
        while (position < data.Length)
        {
            var lineEnd = data.AsSpan(position).IndexOf("\r\n"u8);
            var size = int.Parse(Encoding.ASCII.GetString(data, position, lineEnd), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                break;
            }

            text.Append(Encoding.UTF8.GetString(data, position + lineEnd + 2, size));
            position += lineEnd + 2 + size + 2;
        }

        return text.ToString();
    }

    private static int IndexOf(MemoryStream stream, ReadOnlySpan<byte> value) =>
        stream.GetBuffer().AsSpan(0, (int)stream.Length).IndexOf(value);
}
