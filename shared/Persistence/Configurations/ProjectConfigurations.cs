using ActiveLabel.Persistence.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ActiveLabel.Persistence.Configurations;

internal sealed class ProjectConfiguration : IEntityTypeConfiguration<Project>
{
    public void Configure(EntityTypeBuilder<Project> builder)
    {
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Name).HasMaxLength(200);
        builder.HasIndex(p => p.Name).IsUnique();
        builder.Property(p => p.TaskType).HasConversion<string>().HasMaxLength(16);
        builder.Property(p => p.QueryStrategy).HasMaxLength(64);
        builder.HasMany(p => p.Labels).WithOne().HasForeignKey(l => l.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.ToTable(t =>
        {
            t.HasCheckConstraint("ck_projects_retrain_every", "retrain_every >= 1");
            t.HasCheckConstraint("ck_projects_query_batch_size", "query_batch_size >= 1");
        });
    }
}

internal sealed class ProjectLabelConfiguration : IEntityTypeConfiguration<ProjectLabel>
{
    public void Configure(EntityTypeBuilder<ProjectLabel> builder)
    {
        // (project_id, name) is the target of the labels' foreign key, so a label outside the set cannot be stored.
        builder.HasKey(l => new { l.ProjectId, l.Name });
        builder.Property(l => l.Name).HasMaxLength(100);
        builder.Property(l => l.Key).HasMaxLength(16);
        builder.HasIndex(l => new { l.ProjectId, l.Key }).IsUnique();
    }
}
