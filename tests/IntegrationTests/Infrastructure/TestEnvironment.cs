using Npgsql;

namespace ActiveLabel.IntegrationTests.Infrastructure;

/// <summary>
/// Where the real servers and the built executables are. The servers' credentials come from the environment that
/// scripts/test loads from .local/stack.env (the same variables the services read).
/// </summary>
internal static class TestEnvironment
{
    public static readonly string RepoRoot = FindRepoRoot();

    /// <summary>Debug or Release: the services are run from the same configuration as this test assembly.</summary>
    public static readonly string Configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    public static string BaseConnectionString => Required("ConnectionStrings__Platform");
    public static string RabbitHost => Environment.GetEnvironmentVariable("RabbitMq__Host") ?? "localhost";
    public static int RabbitPort => int.Parse(Environment.GetEnvironmentVariable("RabbitMq__Port") ?? "5672", System.Globalization.CultureInfo.InvariantCulture);
    public static string RabbitUser => Required("RabbitMq__Username");
    public static string RabbitPassword => Required("RabbitMq__Password");

    public static NpgsqlConnectionStringBuilder PostgresBuilder() => new(BaseConnectionString);

    public static string ServiceDll(string service) =>
        Path.Combine(RepoRoot, "services", service, "bin", Configuration, "net10.0", $"ActiveLabel.{service}.dll");

    public static string AlpDll => Path.Combine(RepoRoot, "tools", "Alp", "bin", Configuration, "net10.0", "alp.dll");

    public static string AdminDll => Path.Combine(RepoRoot, "tools", "Admin", "bin", Configuration, "net10.0", "alp-admin.dll");

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set. Run the tests with scripts/test, which starts the servers and loads .local/stack.env.");

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
