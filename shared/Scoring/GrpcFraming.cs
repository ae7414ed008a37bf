using System.Buffers.Binary;
using Google.Protobuf;

namespace ActiveLabel.Scoring;

/// <summary>
/// gRPC's length-prefixed messages: a 1-byte compressed flag, a 4-byte big-endian length, then the protobuf bytes.
/// Only uncompressed messages are spoken; a compressed one is refused with the status the protocol prescribes.
/// </summary>
public static class GrpcFraming
{
    /// <summary>The default maximum message size, the same as gRPC's own default: 4 MiB.</summary>
    public const int DefaultMaxMessageBytes = 4 * 1024 * 1024;

    private const int PrefixLength = 5;

    /// <summary>A message with its 5-byte prefix, ready to send.</summary>
    public static byte[] Frame(IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var size = message.CalculateSize();
        var frame = new byte[PrefixLength + size];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)size);
        message.WriteTo(frame.AsSpan(PrefixLength));
        return frame;
    }

    /// <summary>
    /// Reads the one message of a unary request or response to the end of the stream. Returns null when the stream
    /// holds no message at all (an error response carries none).
    /// </summary>
    /// <param name="stream">The HTTP/2 body.</param>
    /// <param name="parser">The message type's parser.</param>
    /// <param name="maxMessageBytes">Larger messages are refused before they are read (RESOURCE_EXHAUSTED).</param>
    /// <param name="encoding">The sender's <c>grpc-encoding</c> header, if any.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="GrpcException">The frame is malformed or truncated (INTERNAL), too large (RESOURCE_EXHAUSTED),
    /// or compressed (UNIMPLEMENTED: only identity is supported).</exception>
    public static async Task<T?> ReadSingleMessageAsync<T>(Stream stream, MessageParser<T> parser, int maxMessageBytes, string? encoding, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(parser);
        var prefix = new byte[PrefixLength];
        var read = await stream.ReadAtLeastAsync(prefix, PrefixLength, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            return null;
        }

        if (read < PrefixLength)
        {
            throw new GrpcException(GrpcStatusCode.Internal, $"Malformed gRPC frame: the stream ended after {read} of the 5 prefix bytes.");
        }

        switch (prefix[0])
        {
            case 0:
                break;
            case 1 when string.IsNullOrEmpty(encoding) || encoding == GrpcProtocol.IdentityEncoding:
                throw new GrpcException(GrpcStatusCode.Internal, "Malformed gRPC frame: the compressed flag is set but grpc-encoding names no compression.");
            case 1:
                throw new GrpcException(GrpcStatusCode.Unimplemented,
                    $"Compressed messages are not supported (grpc-encoding '{encoding}'): send them uncompressed (grpc-encoding identity).");
            default:
                throw new GrpcException(GrpcStatusCode.Internal, $"Malformed gRPC frame: compressed flag {prefix[0]} (expected 0 or 1).");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix.AsSpan(1));
        if (length > (uint)maxMessageBytes)
        {
            throw new GrpcException(GrpcStatusCode.ResourceExhausted, $"Message of {length} bytes is larger than the limit of {maxMessageBytes} bytes.");
        }

        var payload = new byte[length];
        read = await stream.ReadAtLeastAsync(payload, payload.Length, throwOnEndOfStream: false, cancellationToken);
        if (read < payload.Length)
        {
            throw new GrpcException(GrpcStatusCode.Internal, $"Malformed gRPC frame: the stream ended after {read} of the {length} message bytes announced.");
        }

        if (await stream.ReadAsync(new byte[1], cancellationToken) != 0)
        {
            throw new GrpcException(GrpcStatusCode.Internal, "A unary call carries exactly one message; more data followed it.");
        }

        try
        {
            return parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new GrpcException(GrpcStatusCode.Internal, $"The message is not a valid {typeof(T).Name}: {e.Message}", e);
        }
    }
}
