using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ActiveLabel.Persistence.Migrations;

// One class per SQL file, in order. Ids sort by their numeric prefix; never edit a migration that has shipped.

[DbContext(typeof(PlatformDbContext))]
[Migration("0001_initial")]
public sealed class Initial() : SqlMigration("0001_initial");

[DbContext(typeof(PlatformDbContext))]
[Migration("0002_skips_and_training_trigger")]
public sealed class SkipsAndTrainingTrigger() : SqlMigration("0002_skips_and_training_trigger");
