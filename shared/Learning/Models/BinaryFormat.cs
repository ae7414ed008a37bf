using System.Runtime.InteropServices;

namespace ActiveLabel.Learning;

/// <summary>Little-endian array and string helpers for the model file format.</summary>
internal static class BinaryFormat
{
    public static void WriteArray<T>(BinaryWriter writer, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values));
    }

    public static T[] ReadArray<T>(BinaryReader reader)
        where T : unmanaged
    {
        var values = new T[ReadLength(reader)];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        if (reader.Read(bytes) != bytes.Length)
        {
            throw new EndOfStreamException();
        }

        return values;
    }

    public static int ReadLength(BinaryReader reader)
    {
        var length = reader.ReadInt32();
        return length >= 0 && length <= reader.BaseStream.Length - reader.BaseStream.Position + 1
            ? length
            : throw new ModelFormatException($"Corrupt model file: array length {length} exceeds the data left.");
    }

    public static void WriteStrings(BinaryWriter writer, IReadOnlyList<string> values)
    {
        writer.Write(values.Count);
        foreach (var value in values)
        {
            writer.Write(value);
        }
    }

    public static string[] ReadStrings(BinaryReader reader)
    {
        var values = new string[ReadLength(reader)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.ReadString();
        }

        return values;
    }
}
