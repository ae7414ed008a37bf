using ActiveLabel.ServiceDefaults.Messaging;
using YamlDotNet.RepresentationModel;
using static ActiveLabel.Deployment.Tests.Manifests;

namespace ActiveLabel.Deployment.Tests;

public sealed class KubernetesManifestTests
{
    public static TheoryData<string, string> ServiceNames()
    {
        var data = new TheoryData<string, string>();
        foreach (var (project, name) in Services)
        {
            data.Add(project, name);
        }

        return data;
    }

    [Fact]
    public void Kustomization_should_list_every_manifest_in_the_folder_and_each_should_parse()
    {
        var onDisk = Directory.GetFiles(BaseFolder, "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml").Order();

        Assert.Equal(onDisk, ListedResources().Order());
        Assert.All(KubernetesObjects(), o => Assert.False(string.IsNullOrEmpty(Scalar(o, "kind")), "every document has a kind"));
    }

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public void Deployment_should_listen_where_the_service_does_and_probe_its_health_endpoints(string project, string name)
    {
        var port = AppSettingsPort(project, "Http");
        var container = Items(Object("Deployment", name), "spec", "template", "spec", "containers").Single();

        Assert.Contains(Items(container, "ports"), p => Scalar(p, "name") == "http" && Scalar(p, "containerPort") == port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(Items(container, "env"), e => Scalar(e, "name") == "Kestrel__Endpoints__Http__Url" && Scalar(e, "value") == $"http://0.0.0.0:{port}");
        Assert.Equal("/health/live", Scalar(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("/health/ready", Scalar(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("http", Scalar(container, "readinessProbe", "httpGet", "port"));
        Assert.NotNull(Scalar(container, "resources", "requests", "cpu"));
        Assert.NotNull(Scalar(container, "resources", "limits", "memory"));
        Assert.Contains(Items(Object("Service", name), "spec", "ports"), p => Scalar(p, "port") == port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("1", Scalar(Object("PodDisruptionBudget", name), "spec", "maxUnavailable"));
    }

    [Fact]
    public void QuerySampler_should_expose_the_gRPC_port_over_h2c()
    {
        var grpcPort = AppSettingsPort("QuerySampler", "Grpc").ToString(System.Globalization.CultureInfo.InvariantCulture);
        var container = Items(Object("Deployment", "query-sampler"), "spec", "template", "spec", "containers").Single();

        Assert.Contains(Items(container, "ports"), p => Scalar(p, "name") == "grpc" && Scalar(p, "containerPort") == grpcPort);
        Assert.Contains(Items(container, "env"), e => Scalar(e, "name") == "Kestrel__Endpoints__Grpc__Protocols" && Scalar(e, "value") == "Http2");
        Assert.Contains(Items(Object("Service", "query-sampler"), "spec", "ports"), p => Scalar(p, "port") == grpcPort);
        Assert.EndsWith($":{grpcPort}", Scalar(Object("ConfigMap", "activelabel-config"), "data", "Scorer__Address"), StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_should_name_only_settings_the_services_read_and_keep_secrets_out()
    {
        var data = (YamlMappingNode)Node(Object("ConfigMap", "activelabel-config"), "data")!;
        var keys = data.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();
        var rabbitOptions = typeof(RabbitMqOptions).GetProperties().Select(p => $"{RabbitMqOptions.SectionName}__{p.Name}").ToHashSet();

        Assert.All(keys.Where(k => k.StartsWith("RabbitMq__", StringComparison.Ordinal)), k => Assert.Contains(k, rabbitOptions));
        Assert.DoesNotContain(keys, k => k.Contains("Password", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ConnectionStrings__", StringComparison.Ordinal));
        Assert.All(Services, s =>
            Assert.Contains(Items(Items(Object("Deployment", s.Name), "spec", "template", "spec", "containers").Single(), "envFrom"),
                e => Scalar(e, "secretRef", "name") == "activelabel-secrets"));
    }

    [Fact]
    public void QuerySampler_pool_cache_limit_should_be_a_setting_it_reads_and_smaller_than_its_default()
    {
        var source = File.ReadAllText(Path.Combine(RepoRoot, "services", "QuerySampler", "Features", "Sampling", "PoolCache.cs"));
        var container = Items(Object("Deployment", "query-sampler"), "spec", "template", "spec", "containers").Single();
        var setting = Items(container, "env").Single(e => Scalar(e, "name")!.StartsWith("Sampler__", StringComparison.Ordinal));

        Assert.Equal("Sampler__PoolCache__MaxItems", Scalar(setting, "name"));
        Assert.Contains("SectionName = \"Sampler:PoolCache\"", source, StringComparison.Ordinal);
        var defaultLimit = System.Text.RegularExpressions.Regex.Match(source, @"public int MaxItems \{ get; set; \} = ([0-9_]+);");
        Assert.True(defaultLimit.Success, "PoolCacheOptions.MaxItems and its default are where the test looks for them");
        Assert.True(
            Count(Scalar(setting, "value")!) < Count(defaultLimit.Groups[1].Value),
            "the Kubernetes base's 2Gi QuerySampler needs a smaller cache than the default");

        static int Count(string digits) => int.Parse(digits.Replace("_", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Labeling_should_autoscale_on_cpu_and_trainers_on_their_queue()
    {
        var trainerQueue = File.ReadAllText(Path.Combine(RepoRoot, "services", "Trainer", "Features", "ObserveLabels", "LabelAddedConsumer.cs"));
        var scaledObject = Object("ScaledObject", "trainer");
        var trigger = Items(scaledObject, "spec", "triggers").Single();

        Assert.Equal("labeling", Scalar(Object("HorizontalPodAutoscaler", "labeling"), "spec", "scaleTargetRef", "name"));
        Assert.Equal("trainer", Scalar(scaledObject, "spec", "scaleTargetRef", "name"));
        Assert.Equal("rabbitmq", Scalar(trigger, "type"));
        Assert.Contains($"EndpointName = \"{Scalar(trigger, "metadata", "queueName")}\"", trainerQueue, StringComparison.Ordinal);
        Assert.Equal(Scalar(trigger, "authenticationRef", "name"), Scalar(Object("TriggerAuthentication", "trainer-rabbitmq"), "metadata", "name"));
    }

    [Fact]
    public void Migrations_should_run_as_a_job_with_alp_admin()
    {
        var container = Items(Object("Job", "migrate"), "spec", "template", "spec", "containers").Single();

        Assert.Equal("activelabel/admin:latest", Scalar(container, "image"));
        Assert.Equal("migrate", ((YamlScalarNode)((YamlSequenceNode)Node(container, "args")!)[0]).Value);
    }
}
