using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.State;

/// <summary>The embedded store: a SQLite file under the data directory. Migrations in State/Migrations/Sqlite.</summary>
public sealed class SqlitePipelineDb(DbContextOptions<SqlitePipelineDb> options) : PipelineDb(options);
