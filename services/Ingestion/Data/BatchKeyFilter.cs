using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ActiveLabel.Ingestion.Data;

/// <summary>
/// Remembers the keys (content hash and external id) of the rows of one batch in fixed memory and tells, for each
/// new row, whether it certainly shares no key with an earlier row. A blocked Bloom filter: "new" is always right,
/// "maybe seen" is sometimes wrong (a few rows in 10,000 at 1,000,000 rows in 8 MiB), and a row that may have been
/// seen simply takes the slower path that checks it exactly.
/// </summary>
internal sealed class BatchKeyFilter
{
    /// <summary>The filter of a file upload: 8 MiB whatever the file's size.</summary>
    public const int UploadBytes = 8 << 20;

    private const int BlockWords = 8; // one 64-byte cache line per key
    private const int BitsPerKey = 4;
    private readonly ulong[] _words;
    private readonly ulong _blockMask;

    /// <param name="bytes">Memory used; rounded up to a power of two of at least 64 bytes.</param>
    public BatchKeyFilter(int bytes)
    {
        var blocks = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, bytes / (BlockWords * sizeof(ulong))));
        _words = new ulong[blocks * BlockWords];
        _blockMask = (ulong)blocks - 1;
    }

    /// <summary>A filter sized for a batch of <paramref name="rows"/> rows (e.g. one SubmitItems command).</summary>
    public static BatchKeyFilter ForRows(int rows) => new(Math.Min(UploadBytes, Math.Max(64, rows * 8)));

    /// <summary>Adds the row's keys; true if either may have been added before.</summary>
    public bool AddAndCheck(ReadOnlySpan<byte> contentHash, string externalId)
    {
        // SHA-256 output is uniform: its first 16 bytes choose the block and the bits directly.
        var hashSeen = Add(BinaryPrimitives.ReadUInt64LittleEndian(contentHash), BinaryPrimitives.ReadUInt64LittleEndian(contentHash[8..]));
        var id = MemoryMarshal.AsBytes(externalId.AsSpan());
        var idSeen = Add(Mix(id, 0x1d), Mix(id, 0x2e));
        return hashSeen || idSeen;
    }

    private static ulong Mix(ReadOnlySpan<byte> bytes, int salt)
    {
        var low = new HashCode();
        low.Add(salt);
        low.AddBytes(bytes);
        var high = new HashCode();
        high.Add(~salt);
        high.AddBytes(bytes);
        return ((ulong)(uint)high.ToHashCode() << 32) | (uint)low.ToHashCode();
    }

    private bool Add(ulong block, ulong bits)
    {
        var line = _words.AsSpan((int)(block & _blockMask) * BlockWords, BlockWords);
        var seen = true;
        for (var i = 0; i < BitsPerKey; i++)
        {
            var bit = (int)(bits >> (i * 9)) & 511;
            ref var word = ref line[bit >> 6];
            var mask = 1UL << (bit & 63);
            seen &= (word & mask) != 0;
            word |= mask;
        }

        return seen;
    }
}
