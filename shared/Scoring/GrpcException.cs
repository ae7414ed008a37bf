namespace ActiveLabel.Scoring;

/// <summary>
/// A gRPC call that ended with a status other than OK. The server throws it to answer with that status (the one
/// place that writes statuses turns it into <c>grpc-status</c>/<c>grpc-message</c>); <see cref="ScorerClient"/>
/// throws it with the status the server answered.
/// </summary>
public sealed class GrpcException : Exception
{
    /// <summary>A failed call with its status code and the human-readable <c>grpc-message</c>.</summary>
    public GrpcException(GrpcStatusCode statusCode, string message, Exception? innerException = null)
        : base(message, innerException) => StatusCode = statusCode;

    /// <summary>An UNKNOWN status; prefer the constructor that names the status.</summary>
    public GrpcException()
        : this(GrpcStatusCode.Unknown, "Unknown gRPC error.")
    {
    }

    /// <summary>An UNKNOWN status with a message; prefer the constructor that names the status.</summary>
    public GrpcException(string message)
        : this(GrpcStatusCode.Unknown, message)
    {
    }

    /// <summary>An UNKNOWN status with a message and cause; prefer the constructor that names the status.</summary>
    public GrpcException(string message, Exception innerException)
        : this(GrpcStatusCode.Unknown, message, innerException)
    {
    }

    /// <summary>The gRPC status code.</summary>
    public GrpcStatusCode StatusCode { get; }
}
