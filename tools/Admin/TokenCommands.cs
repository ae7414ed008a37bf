using System.CommandLine;
using ActiveLabel.Persistence.Accounts;
using ActiveLabel.Persistence.Entities;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Admin;

/// <summary><c>alp-admin tokens …</c>: bearer tokens for the HTTP and gRPC APIs.</summary>
internal static class TokenCommands
{
    public static Command Create() => new("tokens", "Manage API tokens.") { CreateToken(), RevokeToken() };

    private static Command CreateToken()
    {
        var user = new Option<string>("--user") { Description = "The user the token acts as.", Required = true };
        var name = new Option<string>("--name") { Description = "What the token is for.", DefaultValueFactory = _ => "cli" };
        var days = new Option<int?>("--expires-in-days") { Description = "Lifetime; no expiry when omitted." };
        var command = new Command("create", "Create a token and print it once (only its hash is stored).") { user, name, days };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var db = AdminDatabase.Open();
            var userId = parse.GetRequiredValue(user);
            if (!await db.Users.AnyAsync(u => u.Id == userId && u.DisabledAt == null, cancellationToken))
            {
                Console.Error.WriteLine($"No active user '{userId}'. Create it with `alp-admin users create --id {userId} --role ...`.");
                return 1;
            }

            var token = ApiTokenFormat.NewToken();
            var now = DateTimeOffset.UtcNow;
            var expiry = parse.GetValue(days) is { } d ? now.AddDays(d) : (DateTimeOffset?)null;
            db.ApiTokens.Add(new ApiToken { Id = Guid.NewGuid(), UserId = userId, Name = parse.GetValue(name)!, TokenHash = ApiTokenFormat.Hash(token), CreatedAt = now, ExpiresAt = expiry });
            await db.SaveChangesAsync(cancellationToken);
            Console.WriteLine(token);
            return 0;
        });
        return command;
    }

    private static Command RevokeToken()
    {
        var user = new Option<string>("--user") { Description = "Revoke every token of this user.", Required = true };
        var command = new Command("revoke", "Revoke a user's tokens; they stop working at once.") { user };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var db = AdminDatabase.Open();
            var userId = parse.GetRequiredValue(user);
            var revoked = await db.ApiTokens
                .Where(t => t.UserId == userId && t.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, DateTimeOffset.UtcNow), cancellationToken);
            Console.WriteLine($"Revoked {revoked} token(s) of '{userId}'.");
            return 0;
        });
        return command;
    }
}
