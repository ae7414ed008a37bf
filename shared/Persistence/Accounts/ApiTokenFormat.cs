using System.Security.Cryptography;
using System.Text;

namespace ActiveLabel.Persistence.Accounts;

/// <summary>How bearer tokens look and how they are stored: only a SHA-256 of the token ever reaches the database.</summary>
public static class ApiTokenFormat
{
    /// <summary>Prefix of every token, so leaked tokens are easy to recognise in logs and scanners.</summary>
    public const string Prefix = "alp_";

    /// <summary>Creates a new random token (256 bits of entropy).</summary>
    public static string NewToken() =>
        Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The stored form of a token.</summary>
    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
