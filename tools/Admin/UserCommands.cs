using System.CommandLine;
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

        return new Command("users", "Manage users.") { create };
    }
}

internal static class UserIds
{
    public static bool IsValid(string id) =>
        id.Length is > 0 and <= 100 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
