using System.Text.Unicode;

namespace ActiveLabel.Ingestion.Features.UploadItems;

/// <summary>What is wrong with a physical line, checked on its bytes before anything decodes it.</summary>
internal enum LineProblem
{
    None,
    TooLong,
    InvalidUtf8,
    Nul,
}

/// <summary>One physical line: its 1-based number and its bytes without the line ending (valid until the next read).</summary>
internal readonly record struct Utf8Line(long Number, ReadOnlyMemory<byte> Bytes, LineProblem Problem);

/// <summary>
/// Splits a stream into lines (LF or CRLF) with bounded memory: the buffer never grows beyond the longest allowed
/// line, and a longer line is reported as <see cref="LineProblem.TooLong"/> and skipped to its end. A UTF-8 byte
/// order mark at the start is skipped. Each line is checked for valid UTF-8 and embedded NUL bytes.
/// </summary>
internal sealed class Utf8LineReader(Stream stream, int maxLineBytes)
{
    private byte[] _buffer = new byte[Math.Min(64 * 1024, maxLineBytes + 2)];
    private int _start;
    private int _scanned;
    private int _end;
    private bool _eof;
    private bool _started;
    private long _number;

    /// <summary>
    /// "UTF-16 LE" or "UTF-16 BE" when the stream starts with that byte order mark, else null. Reads the first bytes
    /// (they stay buffered for <see cref="ReadLineAsync"/>). UTF-16 is refused rather than decoded: every other path
    /// in, and the whole platform, is UTF-8, and a BOM-less UTF-16 file could not be told apart anyway.
    /// </summary>
    public async ValueTask<string?> DetectUtf16Async(CancellationToken cancellationToken)
    {
        while (_number == 0 && _start == 0 && _end < 2 && !_eof)
        {
            await FillAsync(cancellationToken);
        }

        return _number != 0 || _start != 0 || _end < 2 ? null
            : _buffer[0] == 0xFF && _buffer[1] == 0xFE ? "UTF-16 LE"
            : _buffer[0] == 0xFE && _buffer[1] == 0xFF ? "UTF-16 BE"
            : null;
    }

    public async ValueTask<Utf8Line?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var skipping = false;
        while (true)
        {
            var newline = _buffer.AsSpan(_scanned, _end - _scanned).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var end = _scanned + newline;
                var line = _buffer.AsMemory(_start, end - _start);
                _start = _scanned = end + 1;
                _number++;
                return skipping ? new Utf8Line(_number, ReadOnlyMemory<byte>.Empty, LineProblem.TooLong) : Check(line);
            }

            _scanned = _end;
            if (_end - _start > maxLineBytes + 1)
            {
                // Longer than allowed: drop what is buffered and keep dropping up to the line's end.
                skipping = true;
                _start = _scanned = _end = 0;
            }

            if (_eof)
            {
                if (_start == _end && !skipping)
                {
                    return null;
                }

                var last = _buffer.AsMemory(_start, _end - _start);
                _start = _scanned = _end;
                _number++;
                return skipping ? new Utf8Line(_number, ReadOnlyMemory<byte>.Empty, LineProblem.TooLong) : Check(last);
            }

            await FillAsync(cancellationToken);
        }
    }

    private Utf8Line Check(ReadOnlyMemory<byte> line)
    {
        if (line.Length > 0 && line.Span[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        var span = line.Span;
        var problem = span.Length > maxLineBytes ? LineProblem.TooLong
            : !Utf8.IsValid(span) ? LineProblem.InvalidUtf8
            : span.Contains((byte)0) ? LineProblem.Nul
            : LineProblem.None;
        return new Utf8Line(_number, line, problem);
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            // Move the unfinished line to the front so the buffer holds at most one line plus one read.
            var length = _end - _start;
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, length);
            _scanned -= _start;
            _end = length;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, maxLineBytes + 2 + (64 * 1024)));
        }

        var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        if (read == 0)
        {
            _eof = true;
        }

        _end += read;
        if (!_started && _end >= 3 && _number == 0 && _start == 0)
        {
            _started = true;
            if (_buffer.AsSpan(0, 3).SequenceEqual("\uFEFF"u8))
            {
                _start = _scanned = 3;
            }
        }
        else if (!_started && _eof)
        {
            _started = true;
        }
    }
}
