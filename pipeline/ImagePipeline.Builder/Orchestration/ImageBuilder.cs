using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder.Artifacts;
using ImagePipeline.Builder.Caching;
using ImagePipeline.Builder.Disk;
using ImagePipeline.Builder.Stages;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Orchestration;

/// <summary>
/// Builds a recipe into a published image: base → rootfs → disk (each cached by the digest of its
/// inputs) → formats (raw, raw.zst, qcow2) → manifest, published atomically.
/// </summary>
public sealed class ImageBuilder(BuildOptions options, IBuildObserver observer, TimeProvider? clock = null)
{
    private readonly TimeProvider clock = clock ?? TimeProvider.System;

    public async Task<BuildResult> BuildAsync(Recipe recipe, CancellationToken cancellationToken = default)
    {
        if (Environment.UserName != "root")
            throw new BuildStepException("setup", "id -u", "building images needs root (mmdebstrap --mode=root, chroot, overlay mounts, file ownership in the image); run the build as root", "");
        var data = Path.GetFullPath(options.DataDirectory);
        var started = clock.GetUtcNow();
        // Leases every cache entry this build uses until it ends (see StageCache).
        using var session = BuildSession.Open(options, recipe, recipe.Name, observer, started, cancellationToken);
        var (context, log, logPath) = (session.Context, session.Context.Log, session.LogPath);
        var timings = new List<StageTiming>();
        async Task<(string Path, bool Hit)> Stage(string name, Func<Task<(string Path, bool Hit)>> run)
        {
            observer.StageStarted(name);
            log.Line($"== stage {name}");
            var watch = Stopwatch.StartNew();
            var result = await run();
            timings.Add(new StageTiming(name, Math.Round(watch.Elapsed.TotalSeconds, 2), result.Hit));
            observer.StageFinished(name, watch.Elapsed, result.Hit);
            return result;
        }

        string? agentSha = null;
        if (options.ReportAgent is not null)
        {
            await using var agent = File.OpenRead(options.ReportAgent);
            agentSha = Convert.ToHexStringLower(await SHA256.HashDataAsync(agent, cancellationToken));
        }

        var inputDigest = InputDigest.Compute(recipe, context.BaseDay, options.SourceDateEpoch, agentSha);
        log.Line($"recipe {recipe.SourcePath} ({recipe.SourceDigest}), input digest {inputDigest}");
        var (basePath, _) = await Stage(BaseRootfsStage.Name, () => BaseRootfsStage.RunAsync(context, options.Refresh));
        var baseGeneration = await File.ReadAllTextAsync(Path.Combine(basePath, BaseRootfsStage.GenerationFile), cancellationToken);
        var rootfsDigest = RootfsStage.Digest(baseGeneration, inputDigest);
        var (rootfsPath, _) = await Stage(RootfsStage.Name, () => RootfsStage.RunAsync(context, basePath, rootfsDigest, inputDigest));
        var layers = RootfsStage.Layers(basePath, rootfsPath);
        var (diskPath, _) = await Stage(DiskStage.Name, () => DiskStage.RunAsync(context, layers, rootfsPath, rootfsDigest));

        var publisher = new ArtifactPublisher(data, options.OutputDirectory);
        using var stagingDirectory = publisher.CreateStaging();
        var staging = stagingDirectory.Path;
        IReadOnlyList<ArtifactEntry> artifacts = [];
        await Stage("formats", async () =>
        {
            artifacts = await FormatsStage.RunAsync(context, Path.Combine(diskPath, ArtifactStoreLayout.RawDisk), staging);
            return (staging, false);
        });

        if (options.VerifyReproducible)
        {
            await Stage("verify-reproducible", async () =>
            {
                await VerifyReproducibleAsync(context, layers, rootfsPath, rootfsDigest, artifacts, Path.Combine(diskPath, ArtifactStoreLayout.RawDisk));
                return (staging, false);
            });
        }

        var manifest = await WriteManifestAsync(context, recipe, inputDigest, rootfsPath, diskPath, staging, artifacts, timings, started);
        log.Line($"image {manifest.ImageId}");
        File.Copy(logPath, Path.Combine(staging, "build.log"), overwrite: true);
        var (directory, existed) = publisher.Publish(staging, manifest.ImageId);
        if (existed && options.OutputDirectory is null)
        {
            foreach (var added in ArtifactPublisher.AddMissingArtifacts(staging, directory, artifacts))
                log.Line($"image {manifest.ImageId} was stored without {added.Name}: added it");
        }

        return new BuildResult(directory, manifest, existed);
    }

    /// <param name="published">the first build's artifacts, already hashed by the formats stage</param>
    /// <param name="firstRaw">the first build's raw disk</param>
    private static async Task VerifyReproducibleAsync(BuildContext context, IReadOnlyList<string> layers, string rootfsPath, string rootfsDigest, IReadOnlyList<ArtifactEntry> published,
        string firstRaw)
    {
        var scratch = Path.Combine(context.Cache.Root, "..", "logs", $"verify-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var keep = false;
        try
        {
            var (second, _) = await DiskStage.RunAsync(context, layers, rootfsPath, rootfsDigest, bypassCache: true, scratch: scratch);
            var secondRaw = Path.Combine(second, ArtifactStoreLayout.RawDisk);
            var secondQcow2 = Path.Combine(second, ArtifactStoreLayout.Qcow2Disk);
            await FormatsStage.ConvertToQcow2Async(context, secondRaw, secondQcow2);
            foreach (var (name, again) in new[] { (ArtifactStoreLayout.RawDisk, secondRaw), (ArtifactStoreLayout.Qcow2Disk, secondQcow2) })
            {
                var a = published.Single(artifact => artifact.Name == name).Sha256;
                var b = await DigestBuilder.Sha256FileAsync(again, context.CancellationToken);
                if (a != b)
                {
                    keep = true;
                    var where = name == ArtifactStoreLayout.RawDisk ? $" Where: {await DiskDifference.DescribeAsync(firstRaw, secondRaw, context.CancellationToken)}." : "";
                    throw new BuildStepException("verify-reproducible", "build the disk twice",
                        $"{name} differs between two builds of the same input ({a} vs {b}); some step is not deterministic.{where} " +
                        $"The second build is kept for comparison (cmp -l, diffoscope) in {Path.GetFullPath(second)}", "");
                }

                context.Observer.Message($"{name} identical on rebuild: {a}");
            }
        }
        finally
        {
            if (!keep)
                StageCache.TryDelete(scratch);
        }
    }

    private static async Task<ImageManifest> WriteManifestAsync(BuildContext context, Recipe recipe, string inputDigest, string rootfsPath, string diskPath,
        string staging, IReadOnlyList<ArtifactEntry> artifacts, List<StageTiming> timings, DateTimeOffset started)
    {
        var layout = JsonSerializer.Deserialize<DiskLayout>(await File.ReadAllTextAsync(Path.Combine(diskPath, DiskStage.LayoutFile), context.CancellationToken), ManifestJson.Options)!;
        var packages = (await File.ReadAllLinesAsync(Path.Combine(rootfsPath, RootfsStage.PackagesFile), context.CancellationToken))
            .Where(l => l.Length > 0)
            .Select(l => l.Split('\t'))
            .Select(f => new PackageEntry(f[0], f.ElementAtOrDefault(1) ?? "", f.ElementAtOrDefault(2) ?? ""))
            .ToList();
        var manifest = new ImageManifest
        {
            ImageId = artifacts[0].Sha256,
            Name = recipe.Name,
            InputDigest = inputDigest,
            Recipe = new RecipeReference(recipe.SourcePath, recipe.SourceDigest),
            Base = recipe.Base.ToString(),
            Snapshot = recipe.Snapshot,
            Kernel = new KernelInfo(recipe.Kernel, layout.KernelVersion, layout.KernelCommandLine),
            Disk = new DiskInfo(recipe.Disk.SizeBytes, layout.DiskGuid, recipe.Disk.Root.ToString().ToLowerInvariant(), recipe.Boot.Select(b => b.ToString().ToLowerInvariant()).ToList(), recipe.Disk.GrowRoot) { VerityRootHash = layout.VerityRootHash },
            Partitions = layout.Partitions,
            Packages = packages,
            Artifacts = artifacts,
            Stages = timings,
            BuiltAt = started,
        };
        await File.WriteAllTextAsync(Path.Combine(staging, ArtifactStoreLayout.Manifest), JsonSerializer.Serialize(manifest, ManifestJson.Options) + "\n", context.CancellationToken);
        return manifest;
    }
}
