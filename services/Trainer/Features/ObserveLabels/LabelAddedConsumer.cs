using ActiveLabel.Contracts;
using ActiveLabel.ServiceDefaults.Messaging;
using ActiveLabel.Trainer.Features.Training;
using MassTransit;

namespace ActiveLabel.Trainer.Features.ObserveLabels;

/// <summary>
/// Asks for a training check of the label's project. Idempotent by construction: it writes nothing, and the check
/// counts the labels table, so a redelivered (or duplicated) event at most causes one more check that finds nothing due.
/// </summary>
internal sealed class LabelAddedConsumer(TrainingQueue training, ILogger<LabelAddedConsumer> logger) : IConsumer<LabelAdded>
{
    public Task Consume(ConsumeContext<LabelAdded> context)
    {
        var message = context.Message;
        SchemaVersionGuard.EnsureSupported(message);
        logger.LogDebug("Observed label {LabelId} of project {ProjectId}", message.LabelId, message.ProjectId);
        training.Request(message.ProjectId);
        return Task.CompletedTask;
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
