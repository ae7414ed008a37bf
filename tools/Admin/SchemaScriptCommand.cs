using System.CommandLine;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Admin;

/// <summary>
/// <c>alp-admin schema-script</c>: prints the DDL EF Core derives from the model. A starting point when writing the
/// next migration by hand (diff it against the current schema); not applied by anything.
/// </summary>
internal static class SchemaScriptCommand
{
    public static Command Create()
    {
        var command = new Command("schema-script", "Print the CREATE script EF Core derives from the current model.");
        command.SetAction(_ =>
        {
            // No connection is opened: the script comes from the model alone.
            Environment.SetEnvironmentVariable("ConnectionStrings__Platform",
                Environment.GetEnvironmentVariable("ConnectionStrings__Platform") ?? "Host=unused");
            using var db = AdminDatabase.Open();
            Console.WriteLine(db.Database.GenerateCreateScript());
            return 0;
        });
        return command;
    }
}
