using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.Storage.SQLite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ImagePipeline.Server.State;

/// <summary>
/// Where the server keeps its state and its jobs, chosen once by <c>--database</c>: nothing means
/// the embedded store (two SQLite files under DATA/server: one process), a PostgreSQL connection
/// string (<c>Host=...;Database=...;Username=...;Password=...</c>) or URL
/// (<c>postgresql://user:password@host:port/database</c>) means PostgreSQL for both, which any
/// number of server processes share. Hangfire follows the state's choice.
/// </summary>
public sealed record StateStore
{
    private StateStore(bool postgres, string connectionString)
    {
        IsPostgres = postgres;
        ConnectionString = connectionString;
    }

    public bool IsPostgres { get; }
    public string ConnectionString { get; }

    /// <summary>For logs: the store without its password.</summary>
    public string Description => IsPostgres
        ? $"PostgreSQL {new NpgsqlConnectionStringBuilder(ConnectionString) { Password = null }.ConnectionString}"
        : $"embedded SQLite {new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(ConnectionString).DataSource}";

    public static StateStore For(ServerOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Database))
            return new StateStore(false, $"Data Source={options.StatePath}");
        return new StateStore(true, PostgresConnectionString(options.Database.Trim()));
    }

    /// <summary>The EF Core context factory for the chosen provider, as <c>IDbContextFactory&lt;PipelineDb&gt;</c>.</summary>
    public void AddPipelineDb(IServiceCollection services)
    {
        if (IsPostgres)
        {
            services.AddDbContextFactory<PostgresPipelineDb>(db => db.UseNpgsql(ConnectionString));
            services.AddSingleton<IDbContextFactory<PipelineDb>, PipelineDbFactory<PostgresPipelineDb>>();
        }
        else
        {
            services.AddDbContextFactory<SqlitePipelineDb>(db => db.UseSqlite(ConnectionString));
            services.AddSingleton<IDbContextFactory<PipelineDb>, PipelineDbFactory<SqlitePipelineDb>>();
        }
    }

    /// <summary>Hangfire's storage on the same choice: its own schema "hangfire" in PostgreSQL, its own file beside the state in SQLite.</summary>
    public IGlobalConfiguration UseHangfireStorage(IGlobalConfiguration hangfire, ServerOptions options) => IsPostgres
        ? hangfire.UsePostgreSqlStorage(c => c.UseNpgsqlConnection(ConnectionString), new PostgreSqlStorageOptions
        {
            SchemaName = "hangfire",
            QueuePollInterval = options.QueuePollInterval,
            PrepareSchemaIfNecessary = true,
        })
        : hangfire.UseSQLiteStorage(options.HangfirePath, new SQLiteStorageOptions { QueuePollInterval = options.QueuePollInterval });

    private static string PostgresConnectionString(string database)
    {
        const string Example = "'Host=db.example;Database=imagepipeline;Username=imagepipe;Password=...' or 'postgresql://imagepipe:PASSWORD@db.example:5432/imagepipeline'";
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = database.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || database.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
                ? FromUrl(new Uri(database))
                : new NpgsqlConnectionStringBuilder(database);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"--database: '{Redacted(database)}' is not a PostgreSQL connection string ({e.Message}); give one like {Example}, or leave --database out for the embedded store", e);
        }

        if (string.IsNullOrEmpty(builder.Host))
            throw new ArgumentException($"--database: '{Redacted(database)}' names no server (Host=...); give one like {Example}");
        if (string.IsNullOrEmpty(builder.Database))
            throw new ArgumentException($"--database: '{Redacted(database)}' names no database (Database=...); give one like {Example}");
        return builder.ConnectionString;
    }

    private static NpgsqlConnectionStringBuilder FromUrl(Uri url)
    {
        var credentials = url.UserInfo.Split(':', 2);
        var builder = new NpgsqlConnectionStringBuilder { Host = url.Host, Database = Uri.UnescapeDataString(url.AbsolutePath.TrimStart('/')) };
        if (url.Port > 0)
            builder.Port = url.Port;
        if (credentials[0].Length > 0)
            builder.Username = Uri.UnescapeDataString(credentials[0]);
        if (credentials.Length == 2)
            builder.Password = Uri.UnescapeDataString(credentials[1]);
        return builder;
    }

    private static string Redacted(string database) =>
        System.Text.RegularExpressions.Regex.Replace(database, @"((?i:password|pwd)\s*=\s*)('[^']*'|""[^""]*""|[^;]*)|(://[^:/@]*:)[^@]*@", m => m.Groups[1].Success ? m.Groups[1].Value + "***" : m.Groups[3].Value + "***@");
}

/// <summary>The chosen provider's context factory seen as the model's: the server's code asks for <see cref="PipelineDb"/> only.</summary>
internal sealed class PipelineDbFactory<TStore>(IDbContextFactory<TStore> store) : IDbContextFactory<PipelineDb> where TStore : PipelineDb
{
    public PipelineDb CreateDbContext() => store.CreateDbContext();

    public async Task<PipelineDb> CreateDbContextAsync(CancellationToken cancellationToken = default) => await store.CreateDbContextAsync(cancellationToken);
}
