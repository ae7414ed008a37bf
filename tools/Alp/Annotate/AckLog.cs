using System.Globalization;

namespace ActiveLabel.Alp.Annotate;

/// <summary>
/// Every label the platform acknowledged (201 or 200), one tab-separated line each as it is acknowledged:
/// <c>labelId requestId itemId annotator status</c>. Flushed per line, so a run that is cut short still leaves the
/// record a checker compares with the database.
/// </summary>
internal sealed class AckLog : IDisposable
{
    private readonly StreamWriter? _writer;
    private readonly Lock _gate = new();

    public AckLog(string? path)
    {
        if (path is not null)
        {
            _writer = new StreamWriter(path, append: false) { AutoFlush = true };
            _writer.WriteLine("label_id\trequest_id\titem_id\tannotator\tstatus");
        }
    }

    public void Write(long labelId, Guid requestId, long itemId, string annotator, int status)
    {
        if (_writer is null)
        {
            return;
        }

        var line = string.Create(CultureInfo.InvariantCulture, $"{labelId}\t{requestId}\t{itemId}\t{annotator}\t{status}");
        lock (_gate)
        {
            _writer.WriteLine(line);
        }
    }

    public void Dispose() => _writer?.Dispose();
}
