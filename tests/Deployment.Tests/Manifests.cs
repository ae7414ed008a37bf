using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ActiveLabel.Deployment.Tests;

/// <summary>Reads the repository's deployment files and the services' own settings.</summary>
internal static class Manifests
{
    public static readonly string RepoRoot = FindRepoRoot();
    public static readonly string BaseFolder = Path.Combine(RepoRoot, "deploy", "k8s", "base");

    /// <summary>The platform's services: project folder, Kubernetes/compose name.</summary>
    public static readonly (string Project, string Name)[] Services =
        [("Ingestion", "ingestion"), ("Labeling", "labeling"), ("Trainer", "trainer"), ("QuerySampler", "query-sampler")];

    /// <summary>Every document of every manifest listed by the kustomization.</summary>
    public static IReadOnlyList<YamlMappingNode> KubernetesObjects() =>
        [.. ListedResources().SelectMany(file => Documents(Path.Combine(BaseFolder, file)))];

    public static IReadOnlyList<string> ListedResources() =>
        [.. ((YamlSequenceNode)Documents(Path.Combine(BaseFolder, "kustomization.yaml"))[0]["resources"]).Select(n => ((YamlScalarNode)n).Value!)];

    public static YamlMappingNode Object(string kind, string name) =>
        KubernetesObjects().Single(o => Scalar(o, "kind") == kind && Scalar(o, "metadata", "name") == name);

    public static List<YamlMappingNode> Documents(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        // Resolves "<<: *anchor" merge keys, which docker-compose.yml uses for the shared environment.
        stream.Load(new MergingParser(new Parser(reader)));
        return [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()];
    }

    public static YamlNode? Node(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                return null;
            }

            node = child;
        }

        return node;
    }

    public static string? Scalar(YamlNode node, params string[] path) => (Node(node, path) as YamlScalarNode)?.Value;

    public static IEnumerable<YamlMappingNode> Items(YamlNode node, params string[] path) =>
        (Node(node, path) as YamlSequenceNode)?.OfType<YamlMappingNode>() ?? [];

    /// <summary>The port of a Kestrel endpoint in a service's appsettings.json.</summary>
    public static int AppSettingsPort(string project, string endpoint)
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot, "services", project, "appsettings.json")));
        var url = settings.RootElement.GetProperty("Kestrel").GetProperty("Endpoints").GetProperty(endpoint).GetProperty("Url").GetString()!;
        return new Uri(url).Port;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ActiveLabelPlatform.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ActiveLabelPlatform.sln not found above " + AppContext.BaseDirectory);
    }
}
