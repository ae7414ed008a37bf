namespace ActiveLabel.Scoring;

/// <summary>The gRPC status codes (grpc/grpc doc/statuscodes.md), carried in the <c>grpc-status</c> trailer.</summary>
public enum GrpcStatusCode
{
    /// <summary>Success.</summary>
    OK = 0,

    /// <summary>The caller cancelled the call.</summary>
    Cancelled = 1,

    /// <summary>An error with no better code, e.g. a non-gRPC HTTP answer.</summary>
    Unknown = 2,

    /// <summary>The request is wrong whatever the server's state; the message says what to fix.</summary>
    InvalidArgument = 3,

    /// <summary>The deadline (<c>grpc-timeout</c>) passed before the call completed.</summary>
    DeadlineExceeded = 4,

    /// <summary>Something the request names does not exist, or the caller may not know it exists.</summary>
    NotFound = 5,

    /// <summary>The entity to create exists already.</summary>
    AlreadyExists = 6,

    /// <summary>The caller is known but not allowed to make this call.</summary>
    PermissionDenied = 7,

    /// <summary>A limit was hit, such as the maximum message size.</summary>
    ResourceExhausted = 8,

    /// <summary>The system is not in a state to serve the call (e.g. no model trained yet).</summary>
    FailedPrecondition = 9,

    /// <summary>The operation was aborted, e.g. by a concurrency conflict.</summary>
    Aborted = 10,

    /// <summary>A value is outside its valid range.</summary>
    OutOfRange = 11,

    /// <summary>The method, or a feature of the call such as a compression algorithm, is not implemented.</summary>
    Unimplemented = 12,

    /// <summary>A broken invariant or protocol violation.</summary>
    Internal = 13,

    /// <summary>The service is unreachable or temporarily unable to serve; retrying may help.</summary>
    Unavailable = 14,

    /// <summary>Unrecoverable data loss or corruption.</summary>
    DataLoss = 15,

    /// <summary>The call carries no valid credentials.</summary>
    Unauthenticated = 16,
}
