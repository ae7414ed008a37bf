using MassTransit;

namespace ActiveLabel.ServiceDefaults.Messaging;

/// <summary>The platform's one retry policy for consumers, so every endpoint treats faults the same way.</summary>
public static class RetryPolicy
{
    /// <summary>
    /// Retries transient faults (a database or broker restart, a deadlock) with exponential backoff, about 30 s in all;
    /// after that, and at once for an unknown schema version or any of <paramref name="permanent"/> (messages that can
    /// never succeed), MassTransit parks the message in the endpoint's <c>_error</c> queue with the exception.
    /// </summary>
    public static void UseTransientRetry(this IReceiveEndpointConfigurator endpoint, params Type[] permanent) =>
        endpoint.UseMessageRetry(retry =>
        {
            retry.Exponential(6, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(400));
            retry.Ignore(typeof(UnsupportedSchemaVersionException));
            retry.Ignore(permanent);
        });
}
