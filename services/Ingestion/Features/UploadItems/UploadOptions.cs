using System.ComponentModel.DataAnnotations;

namespace ActiveLabel.Ingestion.Features.UploadItems;

/// <summary>Limits of item uploads (<c>Ingestion__Upload__MaxBodyBytes</c>, … in the environment); validated at start-up.</summary>
internal sealed class UploadOptions
{
    public const string SectionName = "Ingestion:Upload";

    /// <summary>Largest accepted request body; a larger one is refused with 413. Default 1 GiB.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxBodyBytes { get; set; } = 1L << 30;

    /// <summary>Largest record (a CSV record may span lines) in bytes. Default 1 MiB.</summary>
    [Range(256, 64 << 20)]
    public int MaxRowBytes { get; set; } = 1 << 20;

    /// <summary>Row errors listed in a response; every rejected row is still counted.</summary>
    [Range(1, 100_000)]
    public int MaxReportedErrors { get; set; } = 1000;

    /// <summary>Time allowed for the COPY and the final INSERT of one upload (a 1,000,000-row file takes tens of seconds).</summary>
    [Range(1, 86_400)]
    public int StatementTimeoutSeconds { get; set; } = 900;
}
