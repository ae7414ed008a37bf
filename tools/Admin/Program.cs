using System.CommandLine;
using ActiveLabel.Admin;

var root = new RootCommand("alp-admin: ActiveLabelPlatform operator tool (database migrations, users, tokens, error queues).");
root.Subcommands.Add(MigrateCommand.Create());
root.Subcommands.Add(SchemaScriptCommand.Create());
root.Subcommands.Add(UserCommands.Create());
root.Subcommands.Add(TokenCommands.Create());
root.Subcommands.Add(ErrorQueueCommands.Create());
return await root.Parse(args).InvokeAsync();
