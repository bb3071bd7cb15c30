using Microsoft.Data.Sqlite;

namespace ImagePipeline.BootService.Storage;

/// <summary>
/// The boot service's SQLite file: machines, their events, and DHCP leases. One connection,
/// one statement at a time (the boot paths are short; SQLite serialises writers anyway), WAL so
/// a reader never waits for a writer.
/// </summary>
public sealed class BootDatabase : IAsyncDisposable
{
    private const int SchemaVersion = 5;

    private readonly SqliteConnection connection;
    private readonly SemaphoreSlim gate = new(1, 1);

    private BootDatabase(SqliteConnection connection, string path)
    {
        this.connection = connection;
        Path = path;
    }

    public string Path { get; }

    public static async Task<BootDatabase> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        var database = new BootDatabase(connection, path);
        await database.ExecuteAsync(static async (c, ct) =>
        {
            await using var command = c.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = NORMAL;
                PRAGMA busy_timeout = 5000;
                CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS machines (
                    id TEXT PRIMARY KEY,
                    mac TEXT NOT NULL UNIQUE,
                    state TEXT NOT NULL,
                    address TEXT,
                    firmware TEXT,
                    desired_image TEXT,
                    current_image TEXT,
                    facts TEXT,
                    deploy_attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    token_hash TEXT UNIQUE,
                    token_address TEXT,
                    last_deploy_method TEXT,
                    last_deploy_bytes INTEGER,
                    desired_mode TEXT,
                    slot TEXT,
                    desired_health TEXT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS machines_address ON machines (address);
                CREATE TABLE IF NOT EXISTS machine_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    machine_id TEXT NOT NULL REFERENCES machines (id),
                    at TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    from_state TEXT,
                    to_state TEXT,
                    detail TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS machine_events_machine ON machine_events (machine_id, id);
                -- Up to which event id the log was cut by retention (one row once it was): a cursor below it
                -- has lost events. Added beside schema 4 without a new version: older binaries neither cut
                -- nor read it, and what they write stays consistent with it.
                CREATE TABLE IF NOT EXISTS event_retention (pruned_through INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS leases (
                    mac TEXT PRIMARY KEY,
                    address TEXT NOT NULL,
                    expires_at TEXT NOT NULL,
                    host_name TEXT);
                """;
            await command.ExecuteNonQueryAsync(ct);
            command.CommandText = "SELECT max(version) FROM schema_version";
            var version = await command.ExecuteScalarAsync(ct);
            if (version is long v && v > SchemaVersion)
                throw new InvalidOperationException($"the boot database was written by a newer version (schema {v}, this one knows {SchemaVersion}); upgrade imagepipe");
            if (version is null or DBNull)
            {
                command.CommandText = $"INSERT INTO schema_version VALUES ({SchemaVersion})";
                await command.ExecuteNonQueryAsync(ct);
            }
            else
            {
                if (version is 1L)
                {
                    // 2: an agent token works only from the address it was issued to.
                    command.CommandText = "ALTER TABLE machines ADD COLUMN token_address TEXT; UPDATE schema_version SET version = 2";
                    await command.ExecuteNonQueryAsync(ct);
                }

                if (version is 1L or 2L)
                {
                    // 3: how the last image was written (full or delta) and the bytes fetched for it.
                    command.CommandText = "ALTER TABLE machines ADD COLUMN last_deploy_method TEXT; ALTER TABLE machines ADD COLUMN last_deploy_bytes INTEGER; UPDATE schema_version SET version = 3";
                    await command.ExecuteNonQueryAsync(ct);
                }

                if (version is 1L or 2L or 3L)
                {
                    // 4: in-place updates: how the desired image gets there, and the A/B slot the machine runs from.
                    command.CommandText = "ALTER TABLE machines ADD COLUMN desired_mode TEXT; ALTER TABLE machines ADD COLUMN slot TEXT; UPDATE schema_version SET version = 4";
                    await command.ExecuteNonQueryAsync(ct);
                }

                if (version is 1L or 2L or 3L or 4L)
                {
                    // 5: the probes an image without our agent is known healthy by (JSON).
                    command.CommandText = "ALTER TABLE machines ADD COLUMN desired_health TEXT; UPDATE schema_version SET version = 5";
                    await command.ExecuteNonQueryAsync(ct);
                }
            }

            return 0;
        }, cancellationToken);
        return database;
    }

    /// <summary>Runs <paramref name="work"/> with the connection to itself.</summary>
    public async Task<T> ExecuteAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await work(connection, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await connection.DisposeAsync();
        gate.Dispose();
    }
}
