using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ActiveLabel.Persistence.Migrations;

// One class per SQL file, in order. Ids sort by their numeric prefix; never edit a migration that has shipped.

[DbContext(typeof(PlatformDbContext))]
[Migration("0001_initial")]
public sealed class Initial() : SqlMigration("0001_initial");

[DbContext(typeof(PlatformDbContext))]
[Migration("0002_item_skips")]
public sealed class ItemSkips() : SqlMigration("0002_item_skips");

[DbContext(typeof(PlatformDbContext))]
[Migration("0003_simulation_baselines")]
public sealed class SimulationBaselines() : SqlMigration("0003_simulation_baselines");

[DbContext(typeof(PlatformDbContext))]
[Migration("0004_training_provenance")]
public sealed class TrainingProvenance() : SqlMigration("0004_training_provenance");

[DbContext(typeof(PlatformDbContext))]
[Migration("0005_fast_next_item")]
public sealed class FastNextItem() : SqlMigration("0005_fast_next_item");

[DbContext(typeof(PlatformDbContext))]
[Migration("0006_lease_query_context")]
public sealed class LeaseQueryContext() : SqlMigration("0006_lease_query_context");

[DbContext(typeof(PlatformDbContext))]
[Migration("0007_faster_bulk_import")]
public sealed class FasterBulkImport() : SqlMigration("0007_faster_bulk_import");
