using ActiveLabel.ServiceDefaults.Messaging;
using ActiveLabel.Trainer.Features.ObserveLabels;

namespace ActiveLabel.Trainer;

internal static class TrainerService
{
    public static WebApplicationBuilder AddTrainer(this WebApplicationBuilder builder)
    {
        builder.AddPlatformBus(bus => bus.AddConsumer<LabelAddedConsumer>(typeof(LabelAddedConsumerDefinition)));
        return builder;
    }

    public static WebApplication MapTrainer(this WebApplication app) => app;
}
