namespace ActiveLabel.Persistence.Entities;

/// <summary>A person or machine client of the platform.</summary>
public sealed class User
{
    /// <summary>Login name; also the annotator id stored on labels.</summary>
    public required string Id { get; set; }
    public string? DisplayName { get; set; }
    public UserRole Role { get; set; }

    /// <summary>PBKDF2 hash for web sign-in; null for token-only clients.</summary>
    public string? PasswordHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DisabledAt { get; set; }
}

/// <summary>What a user may do.</summary>
public enum UserRole
{
    /// <summary>Labels the projects they are a member of.</summary>
    Annotator = 0,

    /// <summary>Manages projects, users and tokens.</summary>
    Admin = 1,

    /// <summary>A machine client that only uploads items.</summary>
    Ingest = 2,
}

/// <summary>A bearer token; only its SHA-256 is stored.</summary>
public sealed class ApiToken
{
    public Guid Id { get; set; }
    public required string UserId { get; set; }
    public required byte[] TokenHash { get; set; }
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>Grants a user access to a project.</summary>
public sealed class ProjectMember
{
    public Guid ProjectId { get; set; }
    public required string UserId { get; set; }
    public DateTimeOffset AddedAt { get; set; }
}
