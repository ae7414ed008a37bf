namespace ActiveLabel.IntegrationTests.Infrastructure;

/// <summary>A RabbitMQ virtual host of its own per test class, so test runs never see each other's messages.</summary>
internal sealed class TestVirtualHost : IAsyncDisposable
{
    private TestVirtualHost(string name) => Name = name;

    public string Name { get; }

    public static async Task<TestVirtualHost> CreateAsync()
    {
        var name = "alp-test-" + Guid.NewGuid().ToString("N")[..12];
        await RabbitMqCtlAsync("add_vhost", name);
        await RabbitMqCtlAsync("set_permissions", "-p", name, TestEnvironment.RabbitUser, ".*", ".*", ".*");
        return new TestVirtualHost(name);
    }

    /// <summary>Messages waiting or in flight in a queue of this vhost (0 for a queue that does not exist yet).</summary>
    public async Task<int> QueueDepthAsync(string queue)
    {
        var output = await RabbitMqCtlAsync("list_queues", "-p", Name, "--no-table-headers", "name", "messages");
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t', StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[0] == queue)
            {
                return int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    public async ValueTask DisposeAsync() => await RabbitMqCtlAsync("delete_vhost", Name);

    private static Task<string> RabbitMqCtlAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(File.Exists("/usr/sbin/rabbitmqctl") ? "/usr/sbin/rabbitmqctl" : "rabbitmqctl", ["-q", .. arguments]);
}
