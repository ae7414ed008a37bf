using System.CommandLine;
using ActiveLabel.Alp.Import;
using ActiveLabel.Alp.Projects;
using ActiveLabel.Alp.Simulate;

namespace ActiveLabel.Alp;

/// <summary>The alp command tree: each subcommand lives in its own folder and contributes one <see cref="Command"/>.</summary>
internal static class AlpCommands
{
    public static RootCommand Create()
    {
        var root = new RootCommand("alp: the ActiveLabelPlatform command-line tool.");
        root.Subcommands.Add(SimulateCommand.Create());
        root.Subcommands.Add(ProjectCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        return root;
    }
}
