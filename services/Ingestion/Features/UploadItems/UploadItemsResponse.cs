using ActiveLabel.Ingestion.Data;

namespace ActiveLabel.Ingestion.Features.UploadItems;

/// <summary>
/// Body of a successful upload. <see cref="Received"/> = <see cref="Inserted"/> + <see cref="Duplicates"/> +
/// <see cref="Rejected"/>; <see cref="Errors"/> lists the rejected rows (up to the configured limit, then
/// <see cref="ErrorsTruncated"/> is true).
/// </summary>
internal sealed record UploadItemsResponse(
    Guid BatchId,
    int Received,
    int Inserted,
    int Duplicates,
    int Rejected,
    int SeedLabels,
    IReadOnlyList<RowError> Errors,
    bool ErrorsTruncated);
