using System.Globalization;

namespace ActiveLabel.Faults;

/// <summary>A label the API acknowledged (201 created, 200 a replay of the same request id).</summary>
internal sealed record Ack(long LabelId, Guid RequestId, long ItemId, string Annotator, int Status);

/// <summary>Reads the file <c>alp annotate --acks</c> writes: a header, then one tab-separated line per acknowledgement.</summary>
internal static class Acknowledgements
{
    public static List<Ack> Read(string path)
    {
        var acks = new List<Ack>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split('\t');
            if (f.Length != 5)
            {
                // A line cut by a crash of the annotators cannot be an acknowledgement the checker can hold to.
                continue;
            }

            acks.Add(new Ack(
                long.Parse(f[0], CultureInfo.InvariantCulture), Guid.Parse(f[1]), long.Parse(f[2], CultureInfo.InvariantCulture), f[3],
                int.Parse(f[4], CultureInfo.InvariantCulture)));
        }

        return acks;
    }
}
