using ActiveLabel.Contracts;
using ActiveLabel.ServiceDefaults.Messaging;
using MassTransit;

namespace ActiveLabel.QuerySampler.Features.Sampling;

/// <summary>A new model: rank the pool with it and publish the new query session.</summary>
internal sealed class ModelTrainedConsumer(SessionBuilder sessions) : IConsumer<ModelTrained>
{
    public Task Consume(ConsumeContext<ModelTrained> context)
    {
        SchemaVersionGuard.EnsureSupported(context.Message);
        return sessions.BuildAsync(context.Message.ProjectId, context.Message.ModelVersion, context.Message.OccurredAt, context.CancellationToken);
    }
}

/// <summary>Retry policy of <see cref="ModelTrainedConsumer"/>.</summary>
internal sealed class ModelTrainedConsumerDefinition : ConsumerDefinition<ModelTrainedConsumer>
{
    public ModelTrainedConsumerDefinition()
    {
        EndpointName = "query-sampler-model-trained";
        // Ranking holds a whole pool in memory; two at once is plenty on a small node.
        ConcurrentMessageLimit = 2;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ModelTrainedConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseTransientRetry(typeof(ActiveLabel.Learning.ModelFormatException));
}
