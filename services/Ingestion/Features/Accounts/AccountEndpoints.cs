using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Accounts;
using ActiveLabel.Persistence.Entities;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Ingestion.Features.Accounts;

/// <summary>Admin API for users and tokens (alp-admin does the same with direct database access, for the first admin).</summary>
internal static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/users").RequireAuthorization(Policies.Admin);
        users.MapPut("/{userId}", PutUserAsync);
        users.MapPost("/{userId}/tokens", CreateTokenAsync);
        users.MapDelete("/{userId}/tokens", RevokeTokensAsync);
        users.MapPut("/{userId}/password", SetPasswordAsync);
        return app;
    }

    /// <summary>Creates the user, or leaves an existing one as it is (idempotent, so scripts can ensure users exist).</summary>
    private static async Task<IResult> PutUserAsync(string userId, PutUserRequest request, PlatformDbContext db, CancellationToken cancellationToken)
    {
        if (!IsValidUserId(userId))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["userId"] = ["Use 1 to 100 letters, digits, '.', '_' or '-'."] });
        }

        if (!Enum.TryParse<UserRole>(request.Role ?? "annotator", ignoreCase: true, out var role) || !Enum.IsDefined(role))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["role"] = ["role must be admin, annotator or ingest."] });
        }

        if (await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId, cancellationToken) is { } existing)
        {
            return existing.Role == role
                ? Results.Ok(new { existing.Id, Role = existing.Role.ToString().ToLowerInvariant() })
                : Results.Problem($"User '{userId}' exists with role {existing.Role.ToString().ToLowerInvariant()}.", statusCode: StatusCodes.Status409Conflict);
        }

        db.Users.Add(new User { Id = userId, Role = role, DisplayName = request.DisplayName, CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync(cancellationToken);
        return Results.Created($"/api/users/{userId}", new { Id = userId, Role = role.ToString().ToLowerInvariant() });
    }

    private static async Task<IResult> CreateTokenAsync(string userId, CreateTokenRequest request, PlatformDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.Users.AnyAsync(u => u.Id == userId && u.DisabledAt == null, cancellationToken))
        {
            return Results.Problem($"No active user '{userId}'.", statusCode: StatusCodes.Status404NotFound);
        }

        if (request.ExpiresInDays is < 1 or > 3650)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["expiresInDays"] = ["expiresInDays must be between 1 and 3650."] });
        }

        var token = ApiTokenFormat.NewToken();
        var now = DateTimeOffset.UtcNow;
        db.ApiTokens.Add(new ApiToken
        {
            Id = Guid.NewGuid(),
            UserId = userId,
            Name = string.IsNullOrWhiteSpace(request.Name) ? "api" : request.Name[..Math.Min(request.Name.Length, 200)],
            TokenHash = ApiTokenFormat.Hash(token),
            CreatedAt = now,
            ExpiresAt = request.ExpiresInDays is { } days ? now.AddDays(days) : null,
        });
        await db.SaveChangesAsync(cancellationToken);
        return Results.Ok(new { Token = token });
    }

    private static async Task<IResult> RevokeTokensAsync(string userId, PlatformDbContext db, CancellationToken cancellationToken)
    {
        var revoked = await db.ApiTokens.Where(t => t.UserId == userId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, DateTimeOffset.UtcNow), cancellationToken);
        return Results.Ok(new { Revoked = revoked });
    }

    /// <summary>Sets the web sign-in password; existing sessions stay valid (revoke the tokens to end them).</summary>
    private static async Task<IResult> SetPasswordAsync(string userId, SetPasswordRequest request, PlatformDbContext db, CancellationToken cancellationToken)
    {
        if (PasswordHasher.Validate(request.Password) is { } problem)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["password"] = [problem] });
        }

        var updated = await db.Users.Where(u => u.Id == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.PasswordHash, PasswordHasher.Hash(request.Password!)), cancellationToken);
        return updated == 1 ? Results.NoContent() : Results.Problem($"No user '{userId}'.", statusCode: StatusCodes.Status404NotFound);
    }

    private static bool IsValidUserId(string id) =>
        id.Length is > 0 and <= 100 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    private sealed record PutUserRequest(string? Role, string? DisplayName);

    private sealed record CreateTokenRequest(string? Name, int? ExpiresInDays);

    private sealed record SetPasswordRequest(string? Password);
}
