using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ActiveLabel.Persistence.Accounts;

/// <summary>
/// Web sign-in passwords: PBKDF2-SHA256 with a random salt, stored as <c>pbkdf2-sha256$iterations$salt$hash</c> so the
/// iteration count can rise later without invalidating stored hashes.
/// </summary>
public static class PasswordHasher
{
    /// <summary>Shorter passwords are refused: a length floor is the one rule that reliably raises guessing cost.</summary>
    public const int MinimumLength = 12;

    /// <summary>Upper bound, so nobody can make the server hash megabytes per sign-in attempt.</summary>
    public const int MaximumLength = 1024;

    private const string Algorithm = "pbkdf2-sha256";
    private const int Iterations = 210_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>Null when the password is acceptable, otherwise what to fix.</summary>
    public static string? Validate(string? password) => password switch
    {
        null or { Length: < MinimumLength } => $"A password is at least {MinimumLength} characters.",
        { Length: > MaximumLength } => $"A password is at most {MaximumLength} characters.",
        _ => null,
    };

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Join('$', Algorithm, Iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    /// <summary>
    /// Checks <paramref name="password"/> against a stored hash in constant time. A null or malformed stored hash is
    /// checked against a dummy hash, so an unknown user costs as long as a wrong password.
    /// </summary>
    public static bool Verify(string password, string? stored)
    {
        var parts = (stored ?? DummyHash).Split('$');
        if (parts.Length != 4 || parts[0] != Algorithm || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            || iterations is < 1 or > 10_000_000)
        {
            parts = DummyHash.Split('$');
            iterations = Iterations;
            stored = null;
        }

        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected) && stored is not null;
    }

    private static readonly string DummyHash = Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));
}
