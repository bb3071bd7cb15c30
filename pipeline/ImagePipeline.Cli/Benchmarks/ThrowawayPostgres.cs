using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.Validation.Harness;
using Npgsql;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// A PostgreSQL for one benchmark run when none is given: a container of the image
/// scripts/postgres-image.sh builds locally (no registry), on a loopback port, removed afterwards.
/// Stock settings (fsync on): the figures are what a real server would see.
/// </summary>
internal sealed class ThrowawayPostgres : IAsyncDisposable
{
    private const string Password = "bench";
    private readonly string container;

    private ThrowawayPostgres(string container, string connectionString)
    {
        this.container = container;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static async Task<ThrowawayPostgres> StartAsync(CancellationToken cancellationToken)
    {
        var scripts = Path.Combine(RepositoryPaths.Root, "scripts");
        await CliWrap.Cli.Wrap(Path.Combine(scripts, "docker-daemon.sh")).ExecuteBufferedAsync(cancellationToken);
        var image = (await CliWrap.Cli.Wrap(Path.Combine(scripts, "postgres-image.sh")).ExecuteBufferedAsync(cancellationToken)).StandardOutput.Trim().Split('\n')[^1];
        var id = (await Docker(["run", "--detach", "--rm", "--label", "imagepipeline.bench=jobs", "--env", $"POSTGRES_PASSWORD={Password}", "--env", "POSTGRES_DB=bench",
            "--publish", "127.0.0.1::5432", image]).ExecuteBufferedAsync(cancellationToken)).StandardOutput.Trim();
        try
        {
            var port = (await Docker(["port", id, "5432/tcp"]).ExecuteBufferedAsync(cancellationToken)).StandardOutput.Trim().Split('\n')[0].Split(':')[^1];
            var connectionString = $"Host=127.0.0.1;Port={port};Database=bench;Username=postgres;Password={Password}";
            await Retry.UntilAsync("the benchmark's PostgreSQL to accept connections", async ct =>
            {
                try
                {
                    await using var connection = new NpgsqlConnection(connectionString);
                    await connection.OpenAsync(ct);
                    return null;
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
                {
                    return e.Message;
                }
            }, TimeSpan.FromSeconds(60), cancellationToken: cancellationToken);
            return new ThrowawayPostgres(id, connectionString);
        }
        catch
        {
            await Docker(["rm", "--force", id]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(CancellationToken.None);
            throw;
        }
    }

    private static Command Docker(string[] arguments) => CliWrap.Cli.Wrap("docker").WithArguments(arguments).WithEnvironmentVariables(e => e.Set("DOCKER_API_VERSION", "1.41"));

    public async ValueTask DisposeAsync() =>
        await Docker(["rm", "--force", container]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(CancellationToken.None);
}
