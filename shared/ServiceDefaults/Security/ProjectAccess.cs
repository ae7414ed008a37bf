using System.Security.Claims;
using ActiveLabel.Persistence;
using ActiveLabel.Persistence.Entities;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActiveLabel.ServiceDefaults.Security;

/// <summary>Project membership, enforced on every call that touches a project.</summary>
public static class ProjectAccess
{
    /// <summary>The caller's user id (the token's user).</summary>
    public static string UserId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("The caller is not authenticated.");

    /// <summary>The answer when <see cref="CanAccessProjectAsync"/> is false: the same for a missing project and a non-member.</summary>
    public static IResult NotFound(Guid projectId) =>
        Results.Problem($"No project {projectId}, or you are not a member of it.", statusCode: StatusCodes.Status404NotFound);

    /// <summary>
    /// True if the project exists and the caller may use it: admins may use every project, everyone else only the
    /// projects they are a member of. Callers answer 404 on false, so non-members learn nothing about the project.
    /// </summary>
    public static Task<bool> CanAccessProjectAsync(this PlatformDbContext db, ClaimsPrincipal user, Guid projectId, CancellationToken cancellationToken)
    {
        if (user.IsInRole(nameof(UserRole.Admin)))
        {
            return db.Projects.AnyAsync(p => p.Id == projectId, cancellationToken);
        }

        var userId = user.UserId();
        return db.ProjectMembers.AnyAsync(m => m.ProjectId == projectId && m.UserId == userId, cancellationToken);
    }

    /// <summary>
    /// The same check as <see cref="CanAccessProjectAsync"/> as one SQL statement answering a single boolean, for hot
    /// paths that batch it with their own statements in one round trip.
    /// </summary>
    public static NpgsqlBatchCommand AccessCommand(ClaimsPrincipal user, Guid projectId)
    {
        var admin = user.IsInRole(nameof(UserRole.Admin));
        var command = new NpgsqlBatchCommand(admin
            ? "SELECT EXISTS (SELECT 1 FROM projects WHERE id = @access_project)"
            : "SELECT EXISTS (SELECT 1 FROM project_members WHERE project_id = @access_project AND user_id = @access_user)");
        command.Parameters.AddWithValue("access_project", projectId);
        if (!admin)
        {
            command.Parameters.AddWithValue("access_user", user.UserId());
        }

        return command;
    }
}
