using System.Security.Cryptography;
using System.Text;
using ActiveLabel.Persistence.Accounts;
using Microsoft.AspNetCore.Http;

namespace ActiveLabel.ServiceDefaults.Security;

/// <summary>
/// The web app's session: an ordinary api_tokens row whose token travels in an HttpOnly cookie instead of the
/// Authorization header, so revoking a user's tokens ends their browser sessions too.
/// </summary>
public static class SessionCookie
{
    /// <summary>Cookie holding the session token.</summary>
    public const string Name = "alp_session";

    /// <summary>Header a cookie-authenticated unsafe request must carry; another site's page can neither read nor forge it.</summary>
    public const string CsrfHeader = "X-CSRF-Token";

    /// <summary>How long a browser session lasts.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    /// <summary>
    /// The CSRF token of a session: an HMAC keyed by the stored token hash, so it is stateless, differs per session,
    /// and cannot be computed by anyone who does not hold the session token.
    /// </summary>
    public static string CsrfToken(string sessionToken) =>
        Convert.ToBase64String(HMACSHA256.HashData(ApiTokenFormat.Hash(sessionToken), Encoding.ASCII.GetBytes("csrf")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The token the request authenticated with: the Bearer header's, else the session cookie's.</summary>
    public static string? PresentedToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        return header.Length == 0 && request.Cookies.TryGetValue(Name, out var cookie) && cookie.Length > 0 ? cookie : null;
    }

    /// <summary>Constant-time check of a presented CSRF token against the session's.</summary>
    public static bool IsValidCsrfToken(string sessionToken, string? presented) =>
        presented is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(CsrfToken(sessionToken)), Encoding.ASCII.GetBytes(presented));
}
