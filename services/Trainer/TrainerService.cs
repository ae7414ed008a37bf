using ActiveLabel.ServiceDefaults.Messaging;
using ActiveLabel.Trainer.Features.ObserveLabels;
using ActiveLabel.Trainer.Features.Training;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ProjectTrainer>();
        builder.Services.AddHostedService<TrainingWorker>();
        return builder;
    }

    public static WebApplication MapTrainer(this WebApplication app) => app;
}
