using System.Diagnostics;
using ActiveLabel.Learning;
using Npgsql;

namespace ActiveLabel.QuerySampler.Features.Sampling;

/// <summary>
/// After a start, fills the pool cache for the projects whose models are newest, with each one's newest model's
/// layout, so that the first ranking after a restart or deployment does not read and encode a whole pool. Runs in the
/// background; a ranking that arrives meanwhile waits for its project's entry or fills it itself.
/// </summary>
internal sealed class PoolWarmer(NpgsqlDataSource dataSource, PoolCache pools, ILogger<PoolWarmer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        List<Guid> projects;
        try
        {
            projects = await RecentProjectsAsync(stoppingToken);
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning(ex, "Could not list projects to warm the pool cache");
            return;
        }

        foreach (var projectId in projects.TakeWhile(_ => pools.HasRoom))
        {
            try
            {
                await WarmAsync(projectId, stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or ModelFormatException or DataFormatException or TimeoutException)
            {
                // Only an optimisation: a ranking fills its project's entry itself.
                logger.LogWarning(ex, "Could not warm the pool cache of {ProjectId}", projectId);
            }
        }
    }

    private async Task<List<Guid>> RecentProjectsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT project_id FROM model_versions GROUP BY project_id ORDER BY max(created_at) DESC LIMIT 100");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var projects = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            projects.Add(reader.GetGuid(0));
        }

        return projects;
    }

    private async Task WarmAsync(Guid projectId, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT model FROM model_versions WHERE project_id = @project ORDER BY version DESC LIMIT 1", connection, transaction);
        command.Parameters.AddWithValue("project", projectId);
        var model = ProjectModel.Deserialize((byte[])(await command.ExecuteScalarAsync(cancellationToken))!);
        var timings = new PoolTimings();
        await pools.WarmAsync(connection, transaction, projectId, model.Featurizer, timings, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Warmed the pool cache of {ProjectId}: {Items} items, {CachedMegabytes:0} MB, in {ElapsedMs} ms",
            projectId, timings.CachedItems, timings.CachedBytes / 1e6, clock.ElapsedMilliseconds);
    }
}
