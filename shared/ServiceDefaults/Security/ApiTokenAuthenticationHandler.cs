using System.Security.Claims;
using System.Text.Encodings.Web;
using ActiveLabel.Persistence.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ActiveLabel.ServiceDefaults.Security;

/// <summary>
/// Authenticates <c>Authorization: Bearer alp_…</c>, or the web app's <see cref="SessionCookie"/> when no Authorization
/// header is present, against the api_tokens table on every request: no cache, so a revoked token stops working at
/// once. The lookup is one indexed read.
/// </summary>
internal sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory loggerFactory, UrlEncoder encoder, NpgsqlDataSource dataSource)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiToken";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        string token;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = header["Bearer ".Length..].Trim();
        }
        else if (header.Length == 0 && Request.Cookies.TryGetValue(SessionCookie.Name, out var cookie) && cookie.Length > 0)
        {
            // Browsers attach cookies to cross-site requests too, so a cookie alone never authorises a change: the
            // page must also send the session's CSRF token, which another site cannot read. Bearer tokens are never
            // sent implicitly, so they need no such proof.
            token = cookie;
            if (!HttpMethods.IsGet(Request.Method) && !HttpMethods.IsHead(Request.Method) && !HttpMethods.IsOptions(Request.Method)
                && !SessionCookie.IsValidCsrfToken(token, Request.Headers[SessionCookie.CsrfHeader].ToString() is { Length: > 0 } csrf ? csrf : null))
            {
                return AuthenticateResult.Fail($"A request authenticated by the session cookie must send the session's {SessionCookie.CsrfHeader} header.");
            }
        }
        else
        {
            return AuthenticateResult.NoResult();
        }

        const string sql = """
            SELECT u.id, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = @hash AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.disabled_at IS NULL
            """;
        // Prepared once per pooled connection: this runs on every request, and planning the join cost more than running it.
        await using var connection = await dataSource.OpenConnectionAsync(Context.RequestAborted);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("hash", ApiTokenFormat.Hash(token));
        await command.PrepareAsync(Context.RequestAborted);
        await using var reader = await command.ExecuteReaderAsync(Context.RequestAborted);
        if (!await reader.ReadAsync(Context.RequestAborted))
        {
            return AuthenticateResult.Fail("The token is unknown, expired or revoked.");
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, reader.GetString(0)), new Claim(ClaimTypes.Name, reader.GetString(0)), new Claim(ClaimTypes.Role, reader.GetString(1))],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <summary>401 with problem details saying why, instead of an empty body.</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure;
        Response.Headers.WWWAuthenticate = "Bearer";
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, failure is null
            ? "No credentials: send the header 'Authorization: Bearer <token>' with an API token (or sign in for a session cookie)."
            : failure.Message + " Send 'Authorization: Bearer <token>' with a valid API token.");
    }

    /// <summary>403 naming the caller's role, instead of an empty body.</summary>
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden,
            $"Your role ({Context.User.FindFirstValue(ClaimTypes.Role)?.ToLowerInvariant() ?? "none"}) may not do this; ask an administrator for a token with the role it needs.");

    private Task WriteProblemAsync(int status, string detail) =>
        Results.Problem(detail, statusCode: status).ExecuteAsync(Context);
}
