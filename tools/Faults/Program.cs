using System.CommandLine;
using ActiveLabel.Faults;

var root = new RootCommand("alp-faults: checks what scripts/fault-test asks of the platform after its faults.");
root.Subcommands.Add(CheckCommand.Create());
return await root.Parse(args).InvokeAsync();
