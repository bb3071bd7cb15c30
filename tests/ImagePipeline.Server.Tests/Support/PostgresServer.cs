using CliWrap;
using CliWrap.Buffered;
using DotNet.Testcontainers.Builders;
using Npgsql;
using Testcontainers.PostgreSql;

namespace ImagePipeline.Server.Tests.Support;

/// <summary>
/// One real PostgreSQL for this test assembly, started through Testcontainers on first use from
/// the image <c>scripts/postgres-image.sh</c> builds locally (there is no registry to pull from),
/// and removed when the assembly's tests end. Each test gets a database of its own.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private static readonly SemaphoreSlim Starting = new(1, 1);
    private static PostgreSqlContainer? container;
    private static int databases;

    public static async Task<string> CreateDatabaseAsync()
    {
        var server = await StartedAsync();
        var name = $"test_{Environment.ProcessId}_{Interlocked.Increment(ref databases)}";
        await using (var connection = new NpgsqlConnection(server.GetConnectionString()))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        return new NpgsqlConnectionStringBuilder(server.GetConnectionString()) { Database = name }.ConnectionString;
    }

    private static async Task<PostgreSqlContainer> StartedAsync()
    {
        await Starting.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (container is not null)
                return container;
            var image = await BuildImageAsync();
            var started = new PostgreSqlBuilder(image)
                .WithCommand("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "max_connections=300")
                .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("database system is ready to accept connections"))
                .Build();
            await started.StartAsync(TestContext.Current.CancellationToken);
            container = started;
            return started;
        }
        finally
        {
            Starting.Release();
        }
    }

    /// <summary>
    /// A PostgreSQL of the test's own, on a fixed host port so that it can be stopped and started
    /// again under a server that keeps its connection string (the shared one must stay up for the others).
    /// </summary>
    public static async Task<PostgreSqlContainer> StartDedicatedAsync(int hostPort)
    {
        var image = await BuildImageAsync();
        var started = new PostgreSqlBuilder(image)
            .WithCommand("-c", "fsync=off", "-c", "synchronous_commit=off")
            .WithPortBinding(hostPort, PostgreSqlBuilder.PostgreSqlPort)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("database system is ready to accept connections"))
            .Build();
        await started.StartAsync(TestContext.Current.CancellationToken);
        return started;
    }

    private static async Task<string> BuildImageAsync()
    {
        // Debian's docker.io speaks API 1.41; the reaper's image cannot be pulled (no registry): we remove the container ourselves.
        Environment.SetEnvironmentVariable("DOCKER_API_VERSION", "1.41");
        Environment.SetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED", "true");
        var root = RepositoryLayout.Root;
        await CliWrap.Cli.Wrap(Path.Combine(root, "scripts", "docker-daemon.sh")).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        var result = await CliWrap.Cli.Wrap(Path.Combine(root, "scripts", "postgres-image.sh")).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        return result.StandardOutput.Trim().Split('\n')[^1];
    }

    public async ValueTask DisposeAsync()
    {
        if (container is not null)
            await container.DisposeAsync();
    }
}
