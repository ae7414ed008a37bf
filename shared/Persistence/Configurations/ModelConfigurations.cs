using ActiveLabel.Persistence.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ActiveLabel.Persistence.Configurations;

internal sealed class ModelVersionConfiguration : IEntityTypeConfiguration<ModelVersion>
{
    public void Configure(EntityTypeBuilder<ModelVersion> builder)
    {
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).UseIdentityAlwaysColumn();
        builder.Property(m => m.Metrics).HasColumnType("jsonb");
        builder.Property(m => m.TrainedBy).HasMaxLength(200);
        builder.HasOne<Project>().WithMany().HasForeignKey(m => m.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(m => new { m.ProjectId, m.Version }).IsUnique();
    }
}

internal sealed class QuerySessionConfiguration : IEntityTypeConfiguration<QuerySession>
{
    public void Configure(EntityTypeBuilder<QuerySession> builder)
    {
        builder.HasKey(s => new { s.ProjectId, s.SessionId });
        builder.Property(s => s.Strategy).HasMaxLength(64);
        builder.HasOne<Project>().WithMany().HasForeignKey(s => s.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class QueryConfiguration : IEntityTypeConfiguration<Query>
{
    public void Configure(EntityTypeBuilder<Query> builder)
    {
        // Rank order within a session is the primary key: serving the next item is a range scan.
        builder.HasKey(q => new { q.ProjectId, q.SessionId, q.Rank });
        builder.HasOne<QuerySession>().WithMany().HasForeignKey(q => new { q.ProjectId, q.SessionId }).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Item>().WithMany().HasForeignKey(q => q.ItemId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(q => q.ItemId);
        // What is left to serve in a session, in rank order (the next-item scan skips no labeled items).
        builder.HasIndex(q => new { q.ProjectId, q.SessionId, q.Rank }, "ix_queries_open").HasFilter("NOT is_labeled");
    }
}

internal sealed class SimulationBaselineConfiguration : IEntityTypeConfiguration<SimulationBaseline>
{
    public void Configure(EntityTypeBuilder<SimulationBaseline> builder)
    {
        builder.HasKey(b => b.ProjectId);
        builder.Property(b => b.Source).HasMaxLength(500);
        builder.Property(b => b.Points).HasColumnType("jsonb");
        builder.HasOne<Project>().WithOne().HasForeignKey<SimulationBaseline>(b => b.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
