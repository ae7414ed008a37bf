using System.CommandLine;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActiveLabel.Admin;

/// <summary><c>alp-admin migrate</c>: applies pending migrations; safe to run from several places at once (EF takes a lock).</summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var wait = new Option<int>("--wait-seconds")
        {
            Description = "How long to wait for PostgreSQL to accept connections before giving up.",
            DefaultValueFactory = _ => 60,
        };
        var command = new Command("migrate", "Apply pending schema migrations to the platform database.") { wait };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var db = AdminDatabase.Open();
            await WaitForDatabaseAsync(db, TimeSpan.FromSeconds(parse.GetValue(wait)), cancellationToken);
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            await db.Database.MigrateAsync(cancellationToken);
            Console.WriteLine(pending.Count == 0
                ? "Schema is up to date."
                : $"Applied {pending.Count} migration(s): {string.Join(", ", pending)}.");
            return 0;
        });
        return command;
    }

    private static async Task WaitForDatabaseAsync(DbContext db, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await db.Database.OpenConnectionAsync(cancellationToken);
                await db.Database.CloseConnectionAsync();
                return;
            }
            catch (NpgsqlException) when (clock.Elapsed < timeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }
}
