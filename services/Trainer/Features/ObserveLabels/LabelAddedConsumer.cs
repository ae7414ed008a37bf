using ActiveLabel.Contracts;
using ActiveLabel.Persistence;
using ActiveLabel.ServiceDefaults.Messaging;
using ActiveLabel.Trainer.Features.Training;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Trainer.Features.ObserveLabels;

/// <summary>
/// Counts the labels each project received (the retrain trigger's counter) and asks for a training check.
/// Idempotent: the label id is the inbox key, so a redelivered event changes nothing.
/// </summary>
internal sealed class LabelAddedConsumer(PlatformDbContext db, TrainingQueue training, ILogger<LabelAddedConsumer> logger) : IConsumer<LabelAdded>
{
    private const string InboxName = "trainer.label-added";

    public async Task Consume(ConsumeContext<LabelAdded> context)
    {
        var message = context.Message;
        SchemaVersionGuard.EnsureSupported(message);

        await using var transaction = await db.Database.BeginTransactionAsync(context.CancellationToken);
        if (!await db.TryRecordInboxAsync(InboxName, message.LabelId.ToString(System.Globalization.CultureInfo.InvariantCulture), context.CancellationToken))
        {
            logger.LogDebug("Label {LabelId} already observed", message.LabelId);
            return;
        }

        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO training_state (project_id, labels_observed, last_observed_label_id, last_event_at)
            VALUES ({message.ProjectId}, 1, {message.LabelId}, now())
            ON CONFLICT (project_id) DO UPDATE SET
                labels_observed = training_state.labels_observed + 1,
                last_observed_label_id = GREATEST(training_state.last_observed_label_id, EXCLUDED.last_observed_label_id),
                last_event_at = EXCLUDED.last_event_at
            """,
            context.CancellationToken);
        await transaction.CommitAsync(context.CancellationToken);
        logger.LogDebug("Observed label {LabelId} of project {ProjectId}", message.LabelId, message.ProjectId);
        training.Request(message.ProjectId);
    }
}

/// <summary>Retry and concurrency policy of <see cref="LabelAddedConsumer"/>.</summary>
internal sealed class LabelAddedConsumerDefinition : ConsumerDefinition<LabelAddedConsumer>
{
    public LabelAddedConsumerDefinition()
    {
        EndpointName = "trainer-label-added";
        ConcurrentMessageLimit = 16;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<LabelAddedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Transient faults (database restart, deadlock) are retried with backoff; after that, and at once for
        // messages that can never succeed, MassTransit parks the message in trainer-label-added_error.
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Exponential(6, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(400));
            retry.Ignore<UnsupportedSchemaVersionException>();
        });
    }
}
