using ActiveLabel.ServiceDefaults.Messaging;
using ActiveLabel.Trainer.Features.ObserveLabels;
using ActiveLabel.Trainer.Features.Training;

namespace ActiveLabel.Trainer;

internal static class TrainerService
{
    public static WebApplicationBuilder AddTrainer(this WebApplicationBuilder builder)
    {
        builder.AddPlatformBus(bus =>
        {
            bus.AddConsumer<LabelAddedConsumer>(typeof(LabelAddedConsumerDefinition));
            bus.AddConsumer<SeedLabelsIngestedConsumer>(typeof(SeedLabelsIngestedConsumerDefinition));
        });
        builder.Services.AddOptions<TrainerOptions>().BindConfiguration(TrainerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<TrainingQueue>();
        builder.Services.AddSingleton<ProjectTrainer>();
        builder.Services.AddHostedService<TrainingWorker>();
        return builder;
    }

    public static WebApplication MapTrainer(this WebApplication app) => app;
}
