using System.Globalization;
using ActiveLabel.Contracts;
using ActiveLabel.Ingestion.Data;
using ActiveLabel.Ingestion.Features.UploadItems;
using ActiveLabel.Persistence;
using ActiveLabel.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ActiveLabel.Ingestion.Features.SubmitItems;

/// <summary>
/// Stores the items of a <see cref="Contracts.SubmitItems"/> command through the same path as file uploads and
/// announces them with <see cref="ItemsIngested"/>. A command that can never succeed (unknown schema version or
/// project, no items, more than <see cref="MaxItems"/>) is refused with <see cref="InvalidSubmissionException"/> and
/// parked in the error queue at once. Invalid items do not block the valid ones: they are counted in
/// <see cref="ItemsIngested.Rejected"/> and logged with their position, column and reason. Idempotent: the batch id
/// is the inbox key, so a redelivered or re-sent command stores nothing twice.
/// </summary>
internal sealed class SubmitItemsConsumer(PlatformDbContext db, OutboxSignal outbox, IOptions<UploadOptions> options, ILogger<SubmitItemsConsumer> logger)
    : IConsumer<Contracts.SubmitItems>
{
    public const int MaxItems = 10_000;
    private const string InboxName = "ingestion.submit-items";
    private const int MaxLoggedErrors = 20;

    public async Task Consume(ConsumeContext<Contracts.SubmitItems> context)
    {
        var message = context.Message;
        var cancellationToken = context.CancellationToken;
        SchemaVersionGuard.EnsureSupported(message);
        if (message.Items is not { Count: > 0 and <= MaxItems } items)
        {
            throw new InvalidSubmissionException($"SubmitItems {message.BatchId} holds {message.Items?.Count ?? 0} items; send 1 to {MaxItems:N0} per command.");
        }

        var target = await IngestTarget.LoadAsync(db, message.ProjectId, cancellationToken)
            ?? throw new InvalidSubmissionException($"SubmitItems {message.BatchId} is for project {message.ProjectId}, which does not exist.");

        await using var writer = await ItemBatchWriter.BeginAsync(
            db, message.ProjectId, TimeSpan.FromSeconds(options.Value.StatementTimeoutSeconds), () => BatchKeyFilter.ForRows(items.Count), cancellationToken);
        if (!await db.TryRecordInboxAsync(InboxName, message.BatchId.ToString("D", CultureInfo.InvariantCulture), cancellationToken))
        {
            logger.LogInformation("SubmitItems {BatchId} for {ProjectId} was already ingested; ignoring the redelivery", message.BatchId, message.ProjectId);
            return;
        }

        using var builder = new ItemBuilder(target);
        var errors = new RowErrors(MaxLoggedErrors);
        for (var i = 0; i < items.Count; i++)
        {
            var row = i + 1;
            if (ToFields(items[i], target, row, out var error) is not { } fields)
            {
                errors.Add(error!);
                continue;
            }

            var item = items[i];
            if (builder.TryBuild(row, fields, item.Label, "label", item.ExternalId, item.ExternalId is null ? null : "externalId", out var staged, out error))
            {
                await writer.WriteAsync(staged!, cancellationToken);
            }
            else
            {
                errors.Add(error!);
            }
        }

        var counts = await writer.CompleteAsync(message.ProjectId, message.BatchId, items.Count, errors.Rejected, cancellationToken);
        outbox.Notify();
        foreach (var rejected in errors.Reported)
        {
            logger.LogWarning("SubmitItems {BatchId} item {Row} rejected (column {Column}): {Reason}", message.BatchId, rejected.Row, rejected.Column, rejected.Reason);
        }

        logger.LogInformation(
            "Ingested {Inserted} items into {ProjectId} from SubmitItems {BatchId} ({Received} items, {Duplicates} duplicates, {Rejected} rejected, {SeedLabels} seed labels)",
            counts.Inserted, message.ProjectId, message.BatchId, counts.Received, counts.Duplicates, counts.Rejected, counts.SeedLabels);
    }

    /// <summary>The item's columns: its fields, with <see cref="SubmittedItem.Text"/> as the project's first text column.</summary>
    private static List<KeyValuePair<string, string?>>? ToFields(SubmittedItem? item, IngestTarget target, int row, out RowError? error)
    {
        error = null;
        if (item is null)
        {
            error = new RowError(row, null, "the item is null.");
            return null;
        }

        var fields = item.Fields?.Select(f => new KeyValuePair<string, string?>(f.Key, f.Value)).ToList() ?? [];
        if (item.Text is null)
        {
            return fields;
        }

        if (target.TextColumns.Count == 0)
        {
            error = new RowError(row, "text", "this project has no text column; put the item's values in fields.");
            return null;
        }

        var column = target.TextColumns[0];
        fields.RemoveAll(f => f.Key == column);
        fields.Add(new(column, item.Text));
        return fields;
    }
}

/// <summary>A command that can never be processed; not retried, parked in the error queue with this message.</summary>
internal sealed class InvalidSubmissionException(string message) : Exception(message);

/// <summary>Retry and concurrency policy of <see cref="SubmitItemsConsumer"/>.</summary>
internal sealed class SubmitItemsConsumerDefinition : ConsumerDefinition<SubmitItemsConsumer>
{
    public SubmitItemsConsumerDefinition()
    {
        EndpointName = "ingestion-submit-items";
        // Each command may carry 10,000 items and holds a database connection while it is stored. Parsing and the
        // database's inserts of different commands overlap on two cores; more at once only contends for the indexes.
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<SubmitItemsConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Transient faults (database restart, deadlock) are retried with backoff; commands that can never succeed go
        // to ingestion-submit-items_error at once.
        endpointConfigurator.UseTransientRetry(typeof(InvalidSubmissionException));
        // The next commands are already here when one finishes (the prefetch would otherwise equal the concurrency).
        endpointConfigurator.PrefetchCount = 8;
    }
}
