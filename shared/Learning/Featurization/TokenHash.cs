using System.Runtime.CompilerServices;

namespace ActiveLabel.Learning;

/// <summary>
/// 64-bit hashes of tokens and n-grams. Vocabularies key on these hashes instead of strings so that featurizing allocates
/// nothing per token; at 64 bits a collision among a few million n-grams is vanishingly unlikely (about n²/2⁶⁵).
/// </summary>
internal static class TokenHash
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    public const ulong WordSalt = 0x9E3779B97F4A7C15UL;
    public const ulong CharSalt = 0xC2B2AE3D27D4EB4FUL;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ulong Chars(ReadOnlySpan<char> chars, ulong salt)
    {
        var h = FnvOffset ^ salt;
        foreach (var c in chars)
        {
            h = (h ^ c) * FnvPrime;
        }

        return Mix(h);
    }

    public static ulong Pair(ulong first, ulong second) => Mix((first * 31) ^ second ^ 0x632BE59BD9B4E019UL);

    /// <summary>The splitmix64 finalizer: spreads every input bit over all output bits.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
