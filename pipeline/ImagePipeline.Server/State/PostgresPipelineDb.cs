using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.State;

/// <summary>The scale-out store: PostgreSQL through Npgsql, shared by every server process. Migrations in State/Migrations/Postgres.</summary>
public sealed class PostgresPipelineDb(DbContextOptions<PostgresPipelineDb> options) : PipelineDb(options);
