using ActiveLabel.Persistence.Entities;
using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Persistence;

/// <summary>The platform's PostgreSQL database. Schema changes go through <c>Migrations/</c>, applied by <c>alp-admin migrate</c>.</summary>
public sealed class PlatformDbContext(DbContextOptions<PlatformDbContext> options) : DbContext(options)
{
    public DbSet<Project> Projects => Set<Project>();
    public DbSet<ProjectLabel> ProjectLabels => Set<ProjectLabel>();
    public DbSet<Item> Items => Set<Item>();
    public DbSet<Label> Labels => Set<Label>();
    public DbSet<ModelVersion> ModelVersions => Set<ModelVersion>();
    public DbSet<QuerySession> QuerySessions => Set<QuerySession>();
    public DbSet<Query> Queries => Set<Query>();
    public DbSet<ItemLease> ItemLeases => Set<ItemLease>();
    public DbSet<ItemSkip> ItemSkips => Set<ItemSkip>();
    public DbSet<SimulationBaseline> SimulationBaselines => Set<SimulationBaseline>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<InboxMessage> InboxMessages => Set<InboxMessage>();
    public DbSet<User> Users => Set<User>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<ProjectMember> ProjectMembers => Set<ProjectMember>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(PlatformDbContext).Assembly);
        SnakeCaseNames.Apply(modelBuilder);
    }
}
