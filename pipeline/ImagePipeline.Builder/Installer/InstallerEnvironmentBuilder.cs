using ImagePipeline.Builder.Caching;
using ImagePipeline.Builder.Debian;
using ImagePipeline.Builder.DeployEnvironment;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Installer;

/// <summary>
/// The peer an image deploy is measured against (<c>imagepipe bench seed</c>): a netboot
/// installer that installs a recipe at deploy time, the way operators do without images. Debian's
/// own installer cannot run here (its netboot initrd fetches installer components from the
/// mirror's debian-installer section, which the mirror this host reaches does not serve), so this
/// is its closest honest equivalent: the deploy environment's kernel and initramfs with a second
/// initramfs appended — a Debian tree (mmdebstrap, sfdisk, mkfs, SYSLINUX, systemd-boot, curl) in
/// <c>/installer</c> and <c>/bin/imagepipe-install</c>, which the deploy environment runs in the
/// agent's place. The tree runs <c>install.sh</c>: partition, mmdebstrap the recipe's package set
/// from a local mirror (<see cref="PackageMirror"/>), apply the configuration the builder applies
/// (<see cref="InstallPreseed"/>), boot loader, then the agent API's result and a reboot.
/// </summary>
public sealed class InstallerEnvironmentBuilder(BuildOptions options, IBuildObserver observer)
{
    public const string Stage = "installer";
    /// <summary>Under the boot file root: the preseed and the mirror the installer fetches (<c>install.sh</c> names these paths).</summary>
    public const string FilesDirectory = "installer";
    public const string MirrorDirectory = "mirror";

    /// <summary>The installer's own tools (its tree, not the installed system).</summary>
    private static readonly string[] InstallerPackages = ["mmdebstrap", "fdisk", "e2fsprogs", "dosfstools", "mtools", "syslinux", "syslinux-common", "systemd-boot-efi", "curl"];

    /// <param name="recipe">a Debian recipe with an ext4 root</param>
    /// <param name="inputDigest">the input digest of the recipe's image, which the install stands in for</param>
    /// <param name="deployEnvironment">the deploy environment (vmlinuz, initrd.img) the installer extends</param>
    /// <param name="environmentDirectory">where the installer's vmlinuz and initrd.img go (served as the lab's deploy environment)</param>
    /// <param name="filesDirectory">where <see cref="FilesDirectory"/>'s content goes: the preseed and the mirror</param>
    public async Task<InstallerEnvironmentResult> BuildAsync(Recipe recipe, string inputDigest, string deployEnvironment, string environmentDirectory, string filesDirectory,
        CancellationToken cancellationToken = default)
    {
        if (Environment.UserName != "root")
            throw new BuildStepException("setup", "id -u", "building the installer needs root (mmdebstrap --mode=root); run it as root", "");
        using var session = BuildSession.Open(options, recipe, "installer", observer, DateTimeOffset.UtcNow, cancellationToken);
        var context = session.Context;

        observer.StageStarted(Stage);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var tree = await InstallerTreeAsync(context);
        Directory.CreateDirectory(environmentDirectory);
        File.Copy(Path.Combine(deployEnvironment, DeployEnvironmentBuilder.KernelFile), Path.Combine(environmentDirectory, DeployEnvironmentBuilder.KernelFile), overwrite: true);
        await using (var initrd = new FileStream(Path.Combine(environmentDirectory, DeployEnvironmentBuilder.InitrdFile), FileMode.Create, FileAccess.Write))
        {
            // The kernel unpacks concatenated archives in order: the deploy environment, then the installer over it.
            foreach (var part in new[] { Path.Combine(deployEnvironment, DeployEnvironmentBuilder.InitrdFile), Path.Combine(tree, InitrdPart) })
            {
                await using var source = File.OpenRead(part);
                await source.CopyToAsync(initrd, cancellationToken);
            }
        }

        observer.StageFinished(Stage, watch.Elapsed, false);

        observer.StageStarted(PackageMirror.Stage);
        watch.Restart();
        var mirror = await PackageMirror.EnsureAsync(context);
        var files = Path.Combine(filesDirectory, FilesDirectory);
        var served = Path.Combine(files, MirrorDirectory);
        if (Directory.Exists(served))
            Directory.Delete(served, recursive: true);
        Directory.CreateDirectory(served);
        long mirrorBytes = 0;
        foreach (var file in Directory.EnumerateFiles(mirror).Where(f => Path.GetFileName(f) != StageCache.LeaseFile))
        {
            File.Copy(file, Path.Combine(served, Path.GetFileName(file)));
            if (file.EndsWith(".deb", StringComparison.Ordinal))
                mirrorBytes += new FileInfo(file).Length;
        }

        var packages = (await File.ReadAllLinesAsync(Path.Combine(mirror, PackageMirror.PackageNamesFile), cancellationToken)).Where(l => l.Length > 0).ToList();
        observer.StageFinished(PackageMirror.Stage, watch.Elapsed, false);
        await InstallPreseed.WriteAsync(context, packages, inputDigest, options.ReportAgent, files);
        return new InstallerEnvironmentResult(environmentDirectory, files, packages.Count, mirrorBytes);
    }

    private const string InitrdPart = "installer.cpio.zst";

    /// <summary>The installer's tree as a compressed cpio archive, cached by its packages, scripts and the day.</summary>
    private static async Task<string> InstallerTreeAsync(BuildContext context)
    {
        var install = EmbeddedFiles.Read("Installer/install.sh");
        var launcher = EmbeddedFiles.Read("Installer/imagepipe-install");
        using var digest = new DigestBuilder()
            .Add("stage", "installer/v1")
            .Add("packages", string.Join(',', InstallerPackages))
            .Add("install", install)
            .Add("launcher", launcher)
            .Add("freshness", context.BaseDay);
        var (path, _) = await context.Cache.GetOrCreateAsync(Stage, digest.Finish(), async dir =>
        {
            var tarball = Path.Combine(dir, "installer.tar");
            await context.Tools.RunAsync(Stage, "mmdebstrap",
            [
                "--mode=root", "--variant=minbase", "--include=" + string.Join(',', InstallerPackages),
                .. Stages.BaseRootfsStage.SlimOptions,
                ImageBase.DefaultSuite, tarball, .. AptSources.ForSuite(ImageBase.DefaultSuite, null),
            ], context.CancellationToken);
            var root = Path.Combine(dir, "root");
            var tree = Path.Combine(root, "installer");
            Directory.CreateDirectory(tree);
            await context.RunAsync(Stage, "tar", "--numeric-owner", "-xpf", tarball, "-C", tree);
            File.Delete(tarball);
            Stages.RootfsStage.WriteFile(tree, "usr/lib/imagepipeline/install", install, 0b111_101_101);
            Stages.RootfsStage.WriteFile(root, "bin/imagepipe-install", launcher, 0b111_101_101);
            // newc, owned by root, compressed on its own: the kernel takes a compressed archive after an uncompressed one.
            await context.Tools.RunAsync(Stage, "sh",
                ["-c", $"cd '{root}' && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | zstd -q -T0 -9 > '{Path.Combine(dir, InitrdPart)}'"],
                context.CancellationToken);
            Directory.Delete(root, recursive: true);
        }, cancellationToken: context.CancellationToken);
        return path;
    }
}
