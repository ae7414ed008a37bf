using System.Diagnostics;
using ActiveLabel.ServiceDefaults.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ActiveLabel.Trainer.Features.Training;

/// <summary>
/// Runs the checks the queue asks for, one project at a time per replica, and sweeps every project periodically so a
/// trigger lost in a crash (or an idle flush) still happens.
/// </summary>
internal sealed class TrainingWorker(
    TrainingQueue queue, ProjectTrainer trainer, NpgsqlDataSource dataSource, IOptions<TrainerOptions> options, ILogger<TrainingWorker> logger)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(ProcessQueueAsync(stoppingToken), SweepAsync(stoppingToken));

    private async Task ProcessQueueAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var request in queue.ReadAllAsync(stoppingToken))
            {
                using var activity = request.Cause == default ? null
                    : PlatformTelemetry.ActivitySource.StartActivity("training check", ActivityKind.Internal, request.Cause);
                try
                {
                    queue.Checking(request.ProjectId);
                    await trainer.TrainWhileDueAsync(request.ProjectId, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The sweep retries; one project's failure must not stop training for the others.
                    logger.LogError(ex, "Training check of project {ProjectId} failed", request.ProjectId);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepSeconds));
        try
        {
            do
            {
                try
                {
                    await using var command = dataSource.CreateCommand("SELECT id FROM projects");
                    await using var reader = await command.ExecuteReaderAsync(stoppingToken);
                    while (await reader.ReadAsync(stoppingToken))
                    {
                        queue.Request(reader.GetGuid(0));
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
                {
                    logger.LogWarning(ex, "Training sweep could not read the projects; retrying at the next tick");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
