using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.State;

/// <summary>
/// The server's state: sources, recipes, runs, image versions, the audit log. One model, two
/// stores: <see cref="SqlitePipelineDb"/> (embedded) and <see cref="PostgresPipelineDb"/> (scale-out),
/// each with the migrations of its own provider under State/Migrations.
/// </summary>
public abstract class PipelineDb(DbContextOptions options) : DbContext(options)
{
    public DbSet<RecipeSource> Sources => Set<RecipeSource>();
    public DbSet<RecipeEntry> Recipes => Set<RecipeEntry>();
    public DbSet<PipelineRun> Runs => Set<PipelineRun>();
    public DbSet<ImageVersion> Images => Set<ImageVersion>();
    public DbSet<AuditEntry> Audit => Set<AuditEntry>();
    public DbSet<Account> Accounts => Set<Account>();
    public DbSet<PromotionRequest> Promotions => Set<PromotionRequest>();
    public DbSet<Machine> Machines => Set<Machine>();
    public DbSet<Rollout> Rollouts => Set<Rollout>();
    public DbSet<ApiToken> Tokens => Set<ApiToken>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<RecipeSource>(e =>
        {
            e.HasIndex(s => s.Name).IsUnique();
            e.HasMany(s => s.Recipes).WithOne(r => r.Source).HasForeignKey(r => r.SourceId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<RecipeEntry>(e =>
        {
            e.HasIndex(r => r.Name).IsUnique();
            e.HasIndex(r => new { r.SourceId, r.Path }).IsUnique();
        });
        modelBuilder.Entity<PipelineRun>(e =>
        {
            e.Property(r => r.State).HasConversion<string>();
            e.HasIndex(r => r.RecipeId);
        });
        modelBuilder.Entity<Account>(e => e.HasIndex(a => a.Name).IsUnique());
        modelBuilder.Entity<Machine>(e =>
        {
            e.HasIndex(m => m.Name).IsUnique();
            e.HasIndex(m => m.Mac).IsUnique();
        });
        modelBuilder.Entity<Rollout>(e =>
        {
            e.Property(r => r.State).HasConversion<string>();
            e.HasIndex(r => r.State);
            e.HasMany(r => r.Targets).WithOne().HasForeignKey(t => t.RolloutId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<RolloutTarget>(e => e.Property(t => t.State).HasConversion<string>());
        modelBuilder.Entity<PromotionRequest>(e =>
        {
            e.Property(p => p.State).HasConversion<string>();
            e.HasIndex(p => p.ImageId);
            e.HasMany(p => p.Approvals).WithOne().HasForeignKey(a => a.PromotionRequestId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(p => new { p.ImageId, p.ToChannel, p.State });
            e.Property(p => p.Revision).IsConcurrencyToken();
        });
        // Four eyes held by the store, not only by a check before the insert: one decision per person per request.
        modelBuilder.Entity<PromotionApproval>(e => e.HasIndex(a => new { a.PromotionRequestId, a.By }).IsUnique());
        modelBuilder.Entity<ApiToken>(e =>
        {
            e.HasIndex(t => t.Hash).IsUnique();
            e.HasOne(t => t.Account).WithMany().HasForeignKey(t => t.AccountId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<ImageVersion>(e =>
        {
            e.HasKey(i => i.ImageId);
            e.HasIndex(i => i.InputDigest);
        });
    }
}
