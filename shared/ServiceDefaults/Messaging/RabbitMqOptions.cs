using System.ComponentModel.DataAnnotations;
using RabbitMQ.Client;

namespace ActiveLabel.ServiceDefaults.Messaging;

/// <summary>Where the RabbitMQ broker is (<c>RabbitMq__Host</c>, … in the environment). No credentials have defaults.</summary>
public sealed class RabbitMqOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "RabbitMq";

    /// <summary>Broker host name.</summary>
    [Required]
    public string Host { get; set; } = "localhost";

    /// <summary>AMQP port.</summary>
    [Range(1, 65535)]
    public ushort Port { get; set; } = 5672;

    /// <summary>Virtual host; one per environment.</summary>
    [Required]
    public string VirtualHost { get; set; } = "/";

    /// <summary>User name.</summary>
    [Required(ErrorMessage = "RabbitMq:Username is required (environment: RabbitMq__Username).")]
    public string? Username { get; set; }

    /// <summary>Password.</summary>
    [Required(ErrorMessage = "RabbitMq:Password is required (environment: RabbitMq__Password).")]
    public string? Password { get; set; }

    /// <summary>
    /// A plain AMQP connection factory for the service's own side channels (readiness probe, queue depths): no
    /// automatic recovery, because each caller decides itself when to connect again.
    /// </summary>
    public ConnectionFactory CreateConnectionFactory(string clientName) => new()
    {
        HostName = Host,
        Port = Port,
        VirtualHost = VirtualHost,
        UserName = Username!,
        Password = Password!,
        AutomaticRecoveryEnabled = false,
        ClientProvidedName = clientName,
    };
}
