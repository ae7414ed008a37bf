using ActiveLabel.Contracts;
using ActiveLabel.Persistence;
using ActiveLabel.ServiceDefaults.Messaging;
using ActiveLabel.Trainer.Features.Training;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Trainer.Features.ObserveLabels;

/// <summary>
/// Asks for a training check of the label's project, and records the event in training_state (what the bus delivered,
/// for monitoring). Idempotent: the label id is the inbox key, so a redelivered event changes nothing.
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
        endpointConfigurator.UseTransientRetry();
    }
}
