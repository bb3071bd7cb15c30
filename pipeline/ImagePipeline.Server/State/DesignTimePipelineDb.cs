using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ImagePipeline.Server.State;

/// <summary>For <c>dotnet ef migrations add</c> only: the SQLite provider on a scratch file.</summary>
public sealed class DesignTimePipelineDb : IDesignTimeDbContextFactory<PipelineDb>
{
    public PipelineDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PipelineDb>().UseSqlite("Data Source=design-time.db").Options);
}
