using System.Globalization;
using System.Net;
using System.Text;

namespace ActiveLabel.Scoring;

/// <summary>
/// The parts of gRPC over HTTP/2 (grpc/grpc doc/PROTOCOL-HTTP2.md) that are not framing: header names, the
/// <c>grpc-timeout</c> format, percent-encoding of <c>grpc-message</c>, and the status a non-gRPC HTTP answer means.
/// </summary>
public static class GrpcProtocol
{
    /// <summary>The content type of every gRPC request and response (protobuf is the default subtype).</summary>
    public const string ContentType = "application/grpc";

    /// <summary>Header and trailer names.</summary>
    public const string StatusHeader = "grpc-status";

    /// <summary>The status message: UTF-8, percent-encoded.</summary>
    public const string MessageHeader = "grpc-message";

    /// <summary>The call's deadline, relative to when the request was sent.</summary>
    public const string TimeoutHeader = "grpc-timeout";

    /// <summary>How the sender compresses its messages.</summary>
    public const string EncodingHeader = "grpc-encoding";

    /// <summary>The message encodings a peer accepts.</summary>
    public const string AcceptEncodingHeader = "grpc-accept-encoding";

    /// <summary>The one message encoding this implementation speaks: uncompressed.</summary>
    public const string IdentityEncoding = "identity";

    /// <summary>
    /// Parses a <c>grpc-timeout</c> value: at most 8 ASCII digits followed by a unit, H, M, S, m (milli), u (micro)
    /// or n (nano).
    /// </summary>
    public static bool TryParseTimeout(string? value, out TimeSpan timeout)
    {
        timeout = default;
        if (value is null || value.Length < 2 || value.Length > 9)
        {
            return false;
        }

        var digits = value.AsSpan(0, value.Length - 1);
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        var amount = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        long? ticks = value[^1] switch
        {
            'H' => amount * TimeSpan.TicksPerHour,
            'M' => amount * TimeSpan.TicksPerMinute,
            'S' => amount * TimeSpan.TicksPerSecond,
            'm' => amount * TimeSpan.TicksPerMillisecond,
            'u' => amount * TimeSpan.TicksPerMicrosecond,
            'n' => amount / TimeSpan.NanosecondsPerTick,
            _ => null,
        };
        if (ticks is null)
        {
            return false;
        }

        timeout = TimeSpan.FromTicks(ticks.Value);
        return true;
    }

    /// <summary>Formats a positive timeout for <c>grpc-timeout</c>, rounded up to the finest unit that fits 8 digits.</summary>
    public static string FormatTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        const long max = 99_999_999;
        (long TicksPerUnit, char Unit)[] units =
        [
            (1, 'n'), (TimeSpan.TicksPerMicrosecond, 'u'), (TimeSpan.TicksPerMillisecond, 'm'), (TimeSpan.TicksPerSecond, 'S'),
            (TimeSpan.TicksPerMinute, 'M'), (TimeSpan.TicksPerHour, 'H'),
        ];
        foreach (var (ticksPerUnit, unit) in units)
        {
            // Nanoseconds are counted in 100 ns ticks; every other unit is a whole number of ticks.
            var amount = unit == 'n' ? timeout.Ticks * TimeSpan.NanosecondsPerTick : (timeout.Ticks + ticksPerUnit - 1) / ticksPerUnit;
            if (amount <= max)
            {
                return amount.ToString(CultureInfo.InvariantCulture) + unit;
            }
        }

        return max.ToString(CultureInfo.InvariantCulture) + "H";
    }

    /// <summary>
    /// Percent-encodes a status message for <c>grpc-message</c>: UTF-8 bytes outside printable ASCII, and '%' itself,
    /// become %XX.
    /// </summary>
    public static string PercentEncode(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var builder = new StringBuilder(message.Length);
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>Decodes a <c>grpc-message</c>; a malformed %-sequence is kept as it is, as the protocol asks.</summary>
    public static string PercentDecode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return value;
        }

        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length && char.IsAsciiHexDigit(value[i + 1]) && char.IsAsciiHexDigit(value[i + 2]))
            {
                bytes.Add(byte.Parse(value.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 2;
            }
            else
            {
                var length = char.IsHighSurrogate(value[i]) && i + 1 < value.Length ? 2 : 1;
                bytes.AddRange(Encoding.UTF8.GetBytes(value.Substring(i, length)));
                i += length - 1;
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    /// <summary>The status a client reports when the server answered HTTP without a <c>grpc-status</c> (PROTOCOL-HTTP2.md).</summary>
    public static GrpcStatusCode StatusFromHttp(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => GrpcStatusCode.Internal,
        HttpStatusCode.Unauthorized => GrpcStatusCode.Unauthenticated,
        HttpStatusCode.Forbidden => GrpcStatusCode.PermissionDenied,
        HttpStatusCode.NotFound => GrpcStatusCode.Unimplemented,
        HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => GrpcStatusCode.Unavailable,
        _ => GrpcStatusCode.Unknown,
    };
}
