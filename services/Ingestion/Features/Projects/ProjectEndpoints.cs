using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Entities;
using ActiveLabel.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActiveLabel.Ingestion.Features.Projects;

/// <summary>Creating projects, reading them, and granting annotators access.</summary>
internal static class ProjectEndpoints
{
    public static IEndpointRouteBuilder MapProjectEndpoints(this IEndpointRouteBuilder app)
    {
        var projects = app.MapGroup("/api/projects");
        projects.MapPost("/", CreateAsync).RequireAuthorization(Policies.Admin);
        projects.MapGet("/", ListAsync);
        projects.MapGet("/{projectId:guid}", GetAsync);
        projects.MapPut("/{projectId:guid}/members/{userId}", AddMemberAsync).RequireAuthorization(Policies.Admin);
        return app;
    }

    private static async Task<IResult> CreateAsync(CreateProjectRequest request, PlatformDbContext db, ILogger<CreateProjectRequest> logger, CancellationToken cancellationToken)
    {
        var errors = CreateProjectValidator.Validate(request);
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The project definition is invalid.");
        }

        var taskType = request.TaskType!.Equals("text", StringComparison.OrdinalIgnoreCase) ? TaskType.Text : TaskType.Tabular;
        var project = new Project
        {
            Id = Guid.NewGuid(),
            Name = request.Name!,
            TaskType = taskType,
            TextColumns = [.. request.TextColumns is { Count: > 0 } t ? t : taskType == TaskType.Text ? ["text"] : []],
            FeatureColumns = [.. request.FeatureColumns ?? []],
            RetrainEvery = request.RetrainEvery ?? 10,
            QueryStrategy = request.QueryStrategy ?? "least_confidence",
            QueryBatchSize = request.QueryBatchSize ?? 1000,
            CreatedAt = DateTimeOffset.UtcNow,
            Labels = [.. request.Labels!.Select((l, i) => new ProjectLabel { Name = l.Name!, Description = l.Description, Key = l.Key, Position = i })],
        };
        db.Projects.Add(project);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return Results.Problem($"A project named '{project.Name}' already exists.", statusCode: StatusCodes.Status409Conflict);
        }

        logger.LogInformation("Created project {ProjectId} ({TaskType}, {LabelCount} labels)", project.Id, project.TaskType, project.Labels.Count);
        return Results.Created($"/api/projects/{project.Id}", ProjectResponse.From(project));
    }

    private static async Task<IResult> GetAsync(Guid projectId, HttpContext http, PlatformDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.CanAccessProjectAsync(http.User, projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        var project = await db.Projects.AsNoTracking().Include(p => p.Labels).SingleAsync(p => p.Id == projectId, cancellationToken);
        return Results.Ok(ProjectResponse.From(project));
    }

    private static async Task<IResult> ListAsync(HttpContext http, PlatformDbContext db, CancellationToken cancellationToken)
    {
        var query = db.Projects.AsNoTracking().Include(p => p.Labels).AsQueryable();
        if (!http.User.IsInRole(nameof(UserRole.Admin)))
        {
            var userId = http.User.UserId();
            query = query.Where(p => db.ProjectMembers.Any(m => m.ProjectId == p.Id && m.UserId == userId));
        }

        var projects = await query.OrderBy(p => p.Name).ToListAsync(cancellationToken);
        return Results.Ok(projects.Select(ProjectResponse.From));
    }

    private static async Task<IResult> AddMemberAsync(Guid projectId, string userId, PlatformDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.Projects.AnyAsync(p => p.Id == projectId, cancellationToken))
        {
            return ProjectAccess.NotFound(projectId);
        }

        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            return Results.Problem($"No user '{userId}'. Create it with `alp-admin users create --id {userId}`.", statusCode: StatusCodes.Status404NotFound);
        }

        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO project_members (project_id, user_id, added_at) VALUES ({projectId}, {userId}, now()) ON CONFLICT DO NOTHING",
            cancellationToken);
        return Results.NoContent();
    }

}
