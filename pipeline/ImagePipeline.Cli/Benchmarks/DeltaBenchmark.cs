using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Recipes;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// <c>imagepipe bench delta</c>: a one-package update of debian-web (the same recipe plus
/// <c>hello</c>), applied to a disk holding the previous build. The NativeAOT agent writes it by
/// delta (only the chunks the disk lacks, from the boot service's chunk endpoint) and as the whole
/// stream; casync, the peer, makes its own chunk store of the new build and extracts it with the
/// previous build as its seed, its store served over HTTP by the same boot service on loopback.
/// Bytes moved are what the boot service sent; every result is checked against the new build's
/// SHA-256. Goals: at most 10% of the image's bytes moved, the agent's apply no slower than casync's.
/// </summary>
public static partial class DeltaBenchmark
{
    private const string Mac = "52:54:00:de:17:a0";

    public static async Task<int> RunAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var options = new BuildOptions { DataDirectory = dataDirectory };
        var recipe = RecipeParser.Load(RepositoryPaths.Example("debian-web"));
        Console.WriteLine("bench delta: building debian-web and debian-web with one package more (hello)");
        var builder = new ImageBuilder(options, NullBuildObserver.Instance);
        var previous = await builder.BuildAsync(recipe, cancellationToken);
        var next = await builder.BuildAsync(recipe with { Packages = [.. recipe.Packages, "hello"] }, cancellationToken);
        var agent = await AgentBinary.EnsurePublishedAsync(cancellationToken);
        var previousRaw = Path.Combine(previous.Directory, ArtifactStoreLayout.RawDisk);
        var nextRaw = Path.Combine(next.Directory, ArtifactStoreLayout.RawDisk);
        var size = new FileInfo(nextRaw).Length;
        var nextId = next.Manifest.ImageId;

        var scratch = Directory.CreateTempSubdirectory("imagepipe-bench-delta-");
        try
        {
            await using var service = await LoopbackBootService.StartAsync(scratch.FullName, cancellationToken, dataDirectory);
            var token = await service.AgentTokenAsync(Mac, nextId, cancellationToken);
            var image = $"{service.BaseUrl}/images/{nextId}";
            string[] write = ["write", "--url", $"{image}/{ArtifactStoreLayout.CompressedDisk}", "--size", $"{size}", "--sha256", nextId, "--allow-unsigned", "--token", token];
            var indexSha256 = ArtifactStoreLayout.ReadArtifactSha256(Path.Combine(next.Directory, ArtifactStoreLayout.Manifest), ArtifactStoreLayout.ChunkIndex)
                ?? throw new InvalidOperationException($"{next.Directory} has no chunk index; rebuild it");
            string[] delta = ["--delta-index", $"{image}/{ArtifactStoreLayout.ChunkIndex}", "--delta-index-sha256", indexSha256, "--chunks", $"{image}/chunks"];

            // The agent, by delta: a disk holding the previous build.
            var target = Path.Combine(scratch.FullName, "disk.raw");
            await CopyAsync(previousRaw, target, cancellationToken);
            var sentBefore = service.BytesSent("images");
            var (deltaSeconds, deltaOutput) = await TimeAsync(agent, [.. write, "--target", target, .. delta], cancellationToken);
            var deltaBytes = service.BytesSent("images") - sentBefore;
            if (!deltaOutput.Contains(", delta,", StringComparison.Ordinal))
                throw new InvalidOperationException($"the agent did not write by delta:\n{deltaOutput}");
            await ShouldHoldAsync(target, size, nextId, "the agent's delta write", cancellationToken);

            // The agent, the whole stream, onto the same starting disk.
            await CopyAsync(previousRaw, target, cancellationToken);
            sentBefore = service.BytesSent("images");
            var (fullSeconds, _) = await TimeAsync(agent, [.. write, "--target", target], cancellationToken);
            var fullBytes = service.BytesSent("images") - sentBefore;
            await ShouldHoldAsync(target, size, nextId, "the agent's full write", cancellationToken);

            // casync: its store of the new build (made ahead, as our build does), served by the same service; extracted with the previous build as seed.
            var store = Path.Combine(LoopbackBootService.FilesDirectory(scratch.FullName), "casync");
            var caibx = Path.Combine(scratch.FullName, "next.caibx");
            var make = Stopwatch.StartNew();
            await Run("casync", ["make", "--compression=zstd", $"--store={store}", caibx, nextRaw], cancellationToken);
            make.Stop();
            var extracted = Path.Combine(scratch.FullName, "casync.raw");
            sentBefore = service.BytesSent("files");
            var casyncSeconds = await TimeRunAsync("casync", ["extract", $"--store={service.FileUrl("casync")}", $"--seed={previousRaw}", caibx, extracted], cancellationToken);
            var casyncBytes = service.BytesSent("files") - sentBefore;
            await ShouldHoldAsync(extracted, size, nextId, "casync extract", cancellationToken);

            Console.WriteLine($"debian-web {AuditShort(previous.Manifest.ImageId)} → +hello {AuditShort(nextId)}: {size >> 20} MiB disk; casync make took {make.Elapsed.TotalSeconds:0.0} s");
            BenchTable.Header();
            BenchTable.Row("one package: bytes moved, delta vs image", Mib(deltaBytes), $"{size >> 20} MiB", size / (double)Math.Max(deltaBytes, 1), "≥ 10× (≤ 10% moved)");
            BenchTable.Row("one package: bytes moved, delta vs stream", Mib(deltaBytes), Mib(fullBytes), fullBytes / (double)Math.Max(deltaBytes, 1), "> 1× (the zstd stream)");
            BenchTable.Row("one package: bytes moved, delta vs casync", Mib(deltaBytes), Mib(casyncBytes), casyncBytes / (double)Math.Max(deltaBytes, 1), "≥ 1× (casync)");
            BenchTable.Row("one package: apply time, delta vs casync", $"{deltaSeconds:0.0} s", $"{casyncSeconds:0.0} s", casyncSeconds / deltaSeconds, "≥ 1× (casync extract --seed)");
            BenchTable.Row("one package: apply time, delta vs full write", $"{deltaSeconds:0.0} s", $"{fullSeconds:0.0} s", fullSeconds / deltaSeconds, "(the whole stream)");
            return ExitCodes.Success;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static string AuditShort(string imageId) => imageId[..12];

    private static string Mib(long bytes) => $"{bytes / 1048576.0:0.0} MiB";

    private static Task CopyAsync(string from, string to, CancellationToken cancellationToken) =>
        Run("cp", ["--sparse=always", "-f", from, to], cancellationToken);

    /// <summary>The first <paramref name="size"/> bytes of <paramref name="path"/> hash to the new build's id.</summary>
    private static async Task ShouldHoldAsync(string path, long size, string sha256, string what, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[4 << 20];
        for (long at = 0; at < size;)
        {
            var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - at)), cancellationToken);
            if (read == 0)
                break;
            hash.AppendData(buffer, 0, read);
            at += read;
        }

        var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (digest != sha256)
            throw new InvalidOperationException($"{what} left {path} with SHA-256 {digest}, not the new build's {sha256}");
    }

    private static async Task<(double Seconds, string Output)> TimeAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var result = await CliWrap.Cli.Wrap(program).WithArguments(arguments).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{program} {arguments[0]} failed: {result.StandardError.Trim()}");
        return (watch.Elapsed.TotalSeconds, Spaces().Replace(result.StandardOutput, " "));
    }

    private static async Task<double> TimeRunAsync(string program, string[] arguments, CancellationToken cancellationToken) =>
        (await TimeAsync(program, arguments, cancellationToken)).Seconds;

    private static async Task Run(string program, string[] arguments, CancellationToken cancellationToken) =>
        await TimeAsync(program, arguments, cancellationToken);

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
