namespace ActiveLabel.Alp.Tests;

/// <summary>The repository's datasets/ folder and scratch folders for generated files.</summary>
internal static class Datasets
{
    public static string Folder { get; } = Find();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Folder, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "ActiveLabelPlatform.sln")) && Directory.Exists(System.IO.Path.Combine(dir.FullName, "datasets")))
            {
                return System.IO.Path.Combine(dir.FullName, "datasets");
            }
        }

        throw new DirectoryNotFoundException("Could not find the repository's datasets/ folder above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary folder removed at the end of a test.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("alp-tests-").FullName;

    public string File(string name, string contents)
    {
        var path = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllText(path, contents);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
