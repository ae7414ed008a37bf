using ActiveLabel.Contracts;

namespace ActiveLabel.ServiceDefaults.Messaging;

/// <summary>Refuses messages written for a contract version this service does not understand.</summary>
public static class SchemaVersionGuard
{
    /// <summary>Throws <see cref="UnsupportedSchemaVersionException"/> unless the message's version is known.</summary>
    public static void EnsureSupported(IProjectMessage message)
    {
        if (message.SchemaVersion is < 1 or > SchemaVersions.Current)
        {
            throw new UnsupportedSchemaVersionException(message.GetType().Name, message.SchemaVersion);
        }
    }
}

/// <summary>
/// A message with an unknown schema version. Not transient: consumer definitions exclude it from retries, so the
/// message goes straight to the endpoint's <c>_error</c> queue with this reason.
/// </summary>
public sealed class UnsupportedSchemaVersionException(string messageType, int version)
    : Exception($"{messageType} schema version {version} is not supported; this service understands 1 to {SchemaVersions.Current}.");
