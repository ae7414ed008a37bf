using System.CommandLine;
using ActiveLabel.Persistence.Accounts;
using ActiveLabel.Persistence.Entities;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Admin;

/// <summary><c>alp-admin users …</c>: accounts. The first admin is created here, never by a default password.</summary>
internal static class UserCommands
{
    public static Command Create()
    {
        var id = new Option<string>("--id") { Description = "Login name (letters, digits, '.', '_', '-').", Required = true };
        var role = new Option<UserRole>("--role") { Description = "admin, annotator or ingest.", DefaultValueFactory = _ => UserRole.Annotator };
        var displayName = new Option<string?>("--display-name") { Description = "Name shown in the web app." };
        var ifMissing = new Option<bool>("--if-missing") { Description = "Succeed without change when the user already exists." };
        var create = new Command("create", "Create a user.") { id, role, displayName, ifMissing };
        create.SetAction(async (parse, cancellationToken) =>
        {
            var userId = parse.GetRequiredValue(id);
            if (!UserIds.IsValid(userId))
            {
                Console.Error.WriteLine($"Invalid --id '{userId}': use 1 to 100 letters, digits, '.', '_' or '-'.");
                return 2;
            }

            await using var db = AdminDatabase.Open();
            if (await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
            {
                if (parse.GetValue(ifMissing))
                {
                    Console.WriteLine($"User '{userId}' exists.");
                    return 0;
                }

                Console.Error.WriteLine($"User '{userId}' already exists.");
                return 1;
            }

            db.Users.Add(new User { Id = userId, Role = parse.GetValue(role), DisplayName = parse.GetValue(displayName), CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync(cancellationToken);
            Console.WriteLine($"Created {parse.GetValue(role).ToString().ToLowerInvariant()} '{userId}'.");
            return 0;
        });

        return new Command("users", "Manage users.") { create, SetPassword() };
    }

    /// <summary>
    /// The password for web sign-in. Read from stdin, never from an argument, so it stays out of shell history and
    /// the process list.
    /// </summary>
    private static Command SetPassword()
    {
        var id = new Option<string>("--id") { Description = "The user whose password to set.", Required = true };
        var fromStdin = new Option<bool>("--password-stdin") { Description = "Read the password from the first line of stdin (required).", Required = true };
        var command = new Command("set-password", $"Set a user's web sign-in password (at least {PasswordHasher.MinimumLength} characters).") { id, fromStdin };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var userId = parse.GetRequiredValue(id);
            if (!parse.GetValue(fromStdin))
            {
                Console.Error.WriteLine("Pass --password-stdin and write the password to stdin, e.g. `read -rs P && printf '%s\\n' \"$P\" | alp-admin users set-password --id alice --password-stdin`.");
                return 2;
            }

            var password = (await Console.In.ReadLineAsync(cancellationToken))?.TrimEnd('\r');
            if (PasswordHasher.Validate(password) is { } problem)
            {
                Console.Error.WriteLine(problem);
                return 2;
            }

            await using var db = AdminDatabase.Open();
            var updated = await db.Users.Where(u => u.Id == userId)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.PasswordHash, PasswordHasher.Hash(password!)), cancellationToken);
            if (updated == 0)
            {
                Console.Error.WriteLine($"No user '{userId}'. Create it with `alp-admin users create --id {userId} --role ...`.");
                return 1;
            }

            Console.WriteLine($"Set the password of '{userId}'.");
            return 0;
        });
        return command;
    }
}

internal static class UserIds
{
    public static bool IsValid(string id) =>
        id.Length is > 0 and <= 100 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
