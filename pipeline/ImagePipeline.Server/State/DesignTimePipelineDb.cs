using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ImagePipeline.Server.State;

/// <summary>For <c>dotnet ef migrations add --context SqlitePipelineDb</c> only: the SQLite provider on a scratch file.</summary>
public sealed class DesignTimeSqlitePipelineDb : IDesignTimeDbContextFactory<SqlitePipelineDb>
{
    public SqlitePipelineDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqlitePipelineDb>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>For <c>dotnet ef migrations add --context PostgresPipelineDb</c> only: adding a migration connects to no server.</summary>
public sealed class DesignTimePostgresPipelineDb : IDesignTimeDbContextFactory<PostgresPipelineDb>
{
    public PostgresPipelineDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresPipelineDb>().UseNpgsql("Host=design-time").Options);
}
