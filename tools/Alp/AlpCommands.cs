using System.CommandLine;
using ActiveLabel.Alp.Annotate;
using ActiveLabel.Alp.Export;
using ActiveLabel.Alp.Import;
using ActiveLabel.Alp.Projects;
using ActiveLabel.Alp.Publish;
using ActiveLabel.Alp.Simulate;
using ActiveLabel.Alp.Status;

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
        root.Subcommands.Add(AnnotateCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(PublishItemsCommand.Create());
        return root;
    }
}
