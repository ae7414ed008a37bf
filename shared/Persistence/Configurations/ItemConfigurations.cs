using ActiveLabel.Persistence.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ActiveLabel.Persistence.Configurations;

internal sealed class ItemConfiguration : IEntityTypeConfiguration<Item>
{
    public void Configure(EntityTypeBuilder<Item> builder)
    {
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Id).UseIdentityAlwaysColumn();
        builder.Property(i => i.ExternalId).HasMaxLength(512);
        builder.Property(i => i.Payload).HasColumnType("jsonb");
        builder.Property(i => i.SeedLabel).HasMaxLength(100);
        // No foreign key to projects: migration 0007 checks it per statement with a trigger (a bulk import's rows all
        // name one project; a per-row check was a fifth of the import's time) and deletes a project's items with it.
        builder.HasOne<ProjectLabel>().WithMany().HasForeignKey(i => new { i.ProjectId, i.SeedLabel }).OnDelete(DeleteBehavior.Restrict);
        // Only items with a seed label: it backs the foreign key above, and most items have none.
        builder.HasIndex(i => new { i.ProjectId, i.SeedLabel }).HasFilter("seed_label IS NOT NULL");
        builder.HasIndex(i => new { i.ProjectId, i.ContentHash }).IsUnique();
        builder.HasIndex(i => new { i.ProjectId, i.ExternalId }).IsUnique();
        // The unlabeled pool: scanned by the sampler after every model and by labeling before the first one.
        builder.HasIndex(i => new { i.ProjectId, i.Id }).HasFilter("NOT is_labeled").HasDatabaseName("ix_items_unlabeled_pool");
        // The unranked pool in the order labeling serves it before the first model (content hash: fixed, pseudo-random).
        builder.HasIndex(i => new { i.ProjectId, i.ContentHash }, "ix_items_unlabeled_by_hash").HasFilter("NOT is_labeled");
        builder.ToTable(t => t.HasCheckConstraint("ck_items_content_hash_length", "octet_length(content_hash) = 32"));
    }
}

internal sealed class LabelConfiguration : IEntityTypeConfiguration<Label>
{
    public void Configure(EntityTypeBuilder<Label> builder)
    {
        builder.HasKey(l => l.Id);
        builder.Property(l => l.Id).UseIdentityAlwaysColumn();
        builder.Property(l => l.Annotator).HasMaxLength(100);
        builder.Property(l => l.Value).HasColumnName("label").HasMaxLength(100);
        builder.Property(l => l.QueryStrategy).HasMaxLength(64);
        builder.Property(l => l.Comment).HasMaxLength(2000);
        builder.HasOne<Item>().WithMany().HasForeignKey(l => l.ItemId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ProjectLabel>().WithMany().HasForeignKey(l => new { l.ProjectId, l.Value }).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(l => new { l.ProjectId, l.RequestId }).IsUnique();
        builder.HasIndex(l => new { l.ItemId, l.Annotator }).IsUnique();
        // Counting and reading labels newer than a model's watermark, and export in id order.
        builder.HasIndex(l => new { l.ProjectId, l.Id });
        builder.HasIndex(l => new { l.ProjectId, l.Annotator, l.CreatedAt });
        builder.ToTable(t => t.HasCheckConstraint("ck_labels_time_spent", "time_spent_ms IS NULL OR time_spent_ms >= 0"));
    }
}

internal sealed class ItemLeaseConfiguration : IEntityTypeConfiguration<ItemLease>
{
    public void Configure(EntityTypeBuilder<ItemLease> builder)
    {
        builder.ToTable("item_leases");
        // One row per item: the primary key is what makes a double lease impossible.
        builder.HasKey(l => l.ItemId);
        builder.Property(l => l.Annotator).HasMaxLength(100);
        builder.HasOne<Item>().WithMany().HasForeignKey(l => l.ItemId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(l => new { l.ProjectId, l.Annotator });
        builder.HasIndex(l => new { l.ProjectId, l.ExpiresAt });
    }
}

internal sealed class ItemSkipConfiguration : IEntityTypeConfiguration<ItemSkip>
{
    public void Configure(EntityTypeBuilder<ItemSkip> builder)
    {
        builder.HasKey(s => new { s.ItemId, s.Annotator });
        builder.Property(s => s.Annotator).HasMaxLength(100);
        builder.HasOne<Item>().WithMany().HasForeignKey(s => s.ItemId).OnDelete(DeleteBehavior.Cascade);
    }
}
