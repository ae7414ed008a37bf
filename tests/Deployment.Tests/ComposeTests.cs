using YamlDotNet.RepresentationModel;
using static ActiveLabel.Deployment.Tests.Manifests;

namespace ActiveLabel.Deployment.Tests;

/// <summary>docker-compose.yml cannot run here (no Docker engine), so it is held to the same facts as the scripts.</summary>
public sealed class ComposeTests
{
    private static readonly YamlMappingNode Compose = Documents(Path.Combine(RepoRoot, "docker-compose.yml"))[0];

    public static TheoryData<string, string> ServiceNames() => KubernetesManifestTests.ServiceNames();

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public void Each_service_should_publish_its_port_and_read_the_platform_settings(string project, string name)
    {
        var port = AppSettingsPort(project, "Http");
        var service = Node(Compose, "services", name)!;
        var environment = (YamlMappingNode)Node(service, "environment")!;
        var variables = environment.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet();

        Assert.Contains($"{port}:{port}", ((YamlSequenceNode)Node(service, "ports")!).Select(p => ((YamlScalarNode)p).Value));
        Assert.Equal($"http://0.0.0.0:{port}", Scalar(environment, "Kestrel__Endpoints__Http__Url"));
        Assert.Superset(new HashSet<string> { "ConnectionStrings__Platform", "RabbitMq__Host", "RabbitMq__VirtualHost", "RabbitMq__Username", "RabbitMq__Password" }, variables);
        Assert.Equal(project, Scalar(service, "build", "args", "SERVICE"));
    }

    [Fact]
    public void Secrets_should_come_from_the_environment_not_the_file()
    {
        var text = File.ReadAllText(Path.Combine(RepoRoot, "docker-compose.yml"));

        Assert.Contains("${ALP_DB_PASSWORD:?", text, StringComparison.Ordinal);
        Assert.Contains("${ALP_RABBIT_PASSWORD:?", text, StringComparison.Ordinal);
        Assert.DoesNotContain("guest", text, StringComparison.Ordinal);
    }
}
