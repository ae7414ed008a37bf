using System.CommandLine;
using System.Diagnostics;
using ActiveLabel.Alp.Import;
using ActiveLabel.Alp.Platform;
using ActiveLabel.Contracts;

namespace ActiveLabel.Alp.Publish;

/// <summary>
/// <c>alp publish-items FILE --project ID</c>: sends a file's items as <see cref="SubmitItems"/> commands over
/// RabbitMQ, as an external system would, and with <c>--wait</c> waits for every batch's <see cref="ItemsIngested"/>
/// to report how many items were stored and how fast.
/// </summary>
internal static class PublishItemsCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("file") { Description = "CSV, TSV or JSON Lines file of items (optionally .gz)." };
        var project = new Option<Guid>("--project") { Description = "Project id.", Required = true };
        var text = new Option<string>("--text-column") { Description = "Column sent as the item's text (the project's first text column); empty for none.", DefaultValueFactory = _ => "text" };
        var label = new Option<string?>("--label") { Description = "Column whose values are sent as labels (seed labels)." };
        var idColumn = new Option<string?>("--id-column") { Description = "Column sent as each item's external id (default: derived from the content by Ingestion)." };
        var batchSize = new Option<int>("--batch-size") { Description = "Items per command (1 to 10,000).", DefaultValueFactory = _ => 1000 };
        var inFlight = new Option<int>("--in-flight") { Description = "Commands published but not yet confirmed by the broker.", DefaultValueFactory = _ => 16 };
        var wait = new Option<bool>("--wait") { Description = "Wait until Ingestion announces every batch (ItemsIngested) and report the totals." };
        var timeout = new Option<int>("--timeout-seconds") { Description = "How long --wait waits.", DefaultValueFactory = _ => 600 };
        var command = new Command("publish-items", "Send a file's items to Ingestion as SubmitItems messages (RabbitMQ).")
        {
            path, project, text, label, idColumn, batchSize, inFlight, wait, timeout,
        };
        var broker = BrokerOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await AlpRun.CallAsync(parse, async () =>
        {
            if (parse.GetValue(batchSize) is < 1 or > 10_000 || parse.GetValue(inFlight) < 1)
            {
                throw new ArgumentException("--batch-size must be 1 to 10,000 and --in-flight at least 1.");
            }

            var output = parse.InvocationConfiguration.Output;
            var columns = new ItemColumns(parse.GetValue(text) is { Length: > 0 } t ? t : null, parse.GetValue(label), parse.GetValue(idColumn));
            var projectId = parse.GetValue(project);
            await using var publisher = await SubmitItemsPublisher.ConnectAsync(broker.Resolve(parse), parse.GetValue(inFlight), cancellationToken);
            await using var ingested = parse.GetValue(wait) ? await publisher.WatchIngestedAsync(projectId, cancellationToken) : null;

            var clock = Stopwatch.StartNew();
            var (items, batches) = (0, 0);
            foreach (var batch in ImportSource.ReadRecords(parse.GetValue(path)!).Select(columns.ToItem).Chunk(parse.GetValue(batchSize)))
            {
                var batchId = Guid.NewGuid();
                ingested?.Expect(batchId);
                await publisher.PublishAsync(new SubmitItems(projectId, batchId, batch, SchemaVersions.Current, DateTimeOffset.UtcNow), cancellationToken);
                items += batch.Length;
                batches++;
            }

            await publisher.FlushAsync(cancellationToken);
            var published = clock.Elapsed.TotalSeconds;
            output.WriteLine($"published {items:N0} items in {batches:N0} commands in {published:0.0} s ({items / Math.Max(published, 0.001):N0} items/s)");
            if (ingested is null)
            {
                return 0;
            }

            var totals = await ingested.WaitAsync(TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            output.WriteLine(
                $"ingested {totals.Batches:N0} of {batches:N0} batches in {seconds:0.0} s ({totals.Received / Math.Max(seconds, 0.001):N0} items/s): " +
                $"{totals.Received:N0} received, {totals.Inserted:N0} inserted, {totals.Duplicates:N0} duplicates, {totals.Rejected:N0} rejected, {totals.SeedLabels:N0} seed labels");
            if (totals.Batches < batches)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(
                    $"error: {batches - totals.Batches:N0} batches were not announced within {parse.GetValue(timeout)} s; see Ingestion's log and the ingestion-submit-items_error queue.");
                return AlpRun.Failed;
            }

            return 0;
        }));
        return command;
    }

    /// <summary>Which columns of a record become which parts of a <see cref="SubmittedItem"/>; the others are its fields.</summary>
    private sealed record ItemColumns(string? Text, string? Label, string? Id)
    {
        public SubmittedItem ToItem(List<KeyValuePair<string, string?>> record)
        {
            string? text = null, label = null, id = null;
            Dictionary<string, string?>? fields = null;
            foreach (var (name, value) in record)
            {
                if (name == Text)
                {
                    text = value;
                }
                else if (name == Label)
                {
                    label = string.IsNullOrWhiteSpace(value) ? null : value;
                }
                else if (name == Id)
                {
                    id = value;
                }
                else
                {
                    (fields ??= new(StringComparer.Ordinal))[name] = value;
                }
            }

            return new SubmittedItem(id, text, fields, label);
        }
    }
}
