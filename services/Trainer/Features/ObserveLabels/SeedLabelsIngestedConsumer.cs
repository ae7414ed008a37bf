using ActiveLabel.Contracts;
using ActiveLabel.ServiceDefaults.Messaging;
using ActiveLabel.Trainer.Features.Training;
using MassTransit;

namespace ActiveLabel.Trainer.Features.ObserveLabels;

/// <summary>Items that arrived with labels can make the project's first model: ask for a training check.</summary>
internal sealed class SeedLabelsIngestedConsumer(TrainingQueue training) : IConsumer<ItemsIngested>
{
    public Task Consume(ConsumeContext<ItemsIngested> context)
    {
        SchemaVersionGuard.EnsureSupported(context.Message);
        if (context.Message.SeedLabels > 0)
        {
            training.Request(context.Message.ProjectId);
        }

        return Task.CompletedTask;
    }
}

/// <summary>Endpoint of <see cref="SeedLabelsIngestedConsumer"/>; the check it asks for is idempotent, so no inbox is needed.</summary>
internal sealed class SeedLabelsIngestedConsumerDefinition : ConsumerDefinition<SeedLabelsIngestedConsumer>
{
    public SeedLabelsIngestedConsumerDefinition() => EndpointName = "trainer-items-ingested";

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<SeedLabelsIngestedConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseTransientRetry();
}
