using ActiveLabel.Labeling.Features.RateLimiting;
using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Accounts;
using ActiveLabel.Persistence.Entities;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Labeling.Features.Session;

/// <summary>
/// <c>/api/session</c>: browser sign-in. A session is an api_tokens row named "web session" whose token lives in an
/// HttpOnly, SameSite=Strict cookie; every unsafe request must also send the session's CSRF token (checked by the
/// authentication handler). Revoking the user's tokens ends the session at once.
/// </summary>
internal static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSession(this IEndpointRouteBuilder app)
    {
        // Anonymous by necessity: this is where a browser gets its credentials. The JSON body requirement also means
        // a cross-site HTML form cannot post here (it cannot send application/json).
        app.MapPost("/api/session", SignInAsync).AllowAnonymous().RequireRateLimiting(RateLimits.Login);
        app.MapGet("/api/session", Current);
        app.MapDelete("/api/session", SignOutAsync);
        return app;
    }

    private static async Task<IResult> SignInAsync(SignInRequest request, HttpContext http, PlatformDbContext db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.UserId) || string.IsNullOrEmpty(request.Password) || request.Password.Length > PasswordHasher.MaximumLength)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["userId"] = ["Send userId and password."] });
        }

        var user = await db.Users.AsNoTracking().Where(u => u.Id == request.UserId && u.DisabledAt == null)
            .Select(u => new { u.Id, u.Role, u.PasswordHash }).SingleOrDefaultAsync(cancellationToken);

        // Verify even for unknown users (against a dummy hash), and answer the same, so neither timing nor the
        // message tells which user ids exist.
        if (!PasswordHasher.Verify(request.Password, user?.PasswordHash) || user is null)
        {
            loggers.CreateLogger(typeof(SessionEndpoints)).LogWarning("Failed sign-in for {UserId}", request.UserId);
            return Results.Problem("Unknown user or wrong password.", statusCode: StatusCodes.Status401Unauthorized);
        }

        var token = ApiTokenFormat.NewToken();
        var now = DateTimeOffset.UtcNow;
        db.ApiTokens.Add(new ApiToken
        {
            Id = Guid.NewGuid(),
            UserId = user.Id,
            Name = "web session",
            TokenHash = ApiTokenFormat.Hash(token),
            CreatedAt = now,
            ExpiresAt = now + SessionCookie.Lifetime,
        });
        await db.SaveChangesAsync(cancellationToken);

        http.Response.Cookies.Append(SessionCookie.Name, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            Secure = http.Request.IsHttps,
            Expires = now + SessionCookie.Lifetime,
        });
        return Results.Ok(new SessionResponse(user.Id, RoleName(user.Role), SessionCookie.CsrfToken(token)));
    }

    /// <summary>Who is signed in, and the CSRF token the page needs for changes (null for Bearer callers).</summary>
    private static IResult Current(HttpContext http)
    {
        var role = Enum.GetValues<UserRole>().First(r => http.User.IsInRole(r.ToString()));
        var csrf = http.Request.Headers.Authorization.Count == 0 && http.Request.Cookies.TryGetValue(SessionCookie.Name, out var token)
            ? SessionCookie.CsrfToken(token)
            : null;
        return Results.Ok(new SessionResponse(http.User.UserId(), RoleName(role), csrf));
    }

    private static async Task<IResult> SignOutAsync(HttpContext http, PlatformDbContext db, CancellationToken cancellationToken)
    {
        if (http.Request.Headers.Authorization.Count > 0 || !http.Request.Cookies.TryGetValue(SessionCookie.Name, out var token))
        {
            return Results.Problem("Only a browser session signs out; revoke API tokens with DELETE /api/users/{id}/tokens.", statusCode: StatusCodes.Status400BadRequest);
        }

        var hash = ApiTokenFormat.Hash(token);
        await db.ApiTokens.Where(t => t.TokenHash == hash && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, DateTimeOffset.UtcNow), cancellationToken);
        http.Response.Cookies.Delete(SessionCookie.Name, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", Secure = http.Request.IsHttps });
        return Results.NoContent();
    }

    private static string RoleName(UserRole role) => role.ToString().ToLowerInvariant();
}

internal sealed record SignInRequest(string? UserId, string? Password);

internal sealed record SessionResponse(string UserId, string Role, string? CsrfToken);
