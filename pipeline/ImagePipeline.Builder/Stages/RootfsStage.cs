using System.Text.Json;
using ImagePipeline.Builder.Caching;
using ImagePipeline.Builder.Debian;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Stages;

/// <summary>
/// Stage 2: the customised root filesystem, kept as the upper layer of an overlay on the base
/// tree — only what this image changes is written and cached, the base is never copied. The
/// builder's system configuration (DHCP on every wired NIC, serial console login, hostname) is
/// applied, then the recipe's files, then its commands in a sandbox (<see cref="CommandSandbox"/>). Every timestamp is set to
/// SOURCE_DATE_EPOCH so the next stage can produce the same bytes twice.
/// </summary>
public static class RootfsStage
{
    public const string Name = "rootfs";
    /// <summary>The overlay's upper layer: this image's changes to the base, with overlayfs whiteouts for removals.</summary>
    public const string UpperDirectory = "upper";
    public const string PackagesFile = "packages.tsv";
    public const string KernelFile = "kernel-version";

    /// <summary>The input digest already covers the recipe's files, commands and settings; the base generation ties the layer to the exact base tree below it.</summary>
    public static string Digest(string baseGeneration, string inputDigest)
    {
        using var digest = new DigestBuilder()
            .Add("stage", "rootfs/v5")
            .Add("base-generation", baseGeneration)
            .Add("input", inputDigest);
        return digest.Finish();
    }

    /// <summary>The base tree and this stage's upper layer, in overlayfs order (upper first).</summary>
    public static IReadOnlyList<string> Layers(string basePath, string rootfsPath) =>
        [Path.Combine(rootfsPath, UpperDirectory), Path.Combine(basePath, BaseRootfsStage.TreeDirectory)];

    public static Task<(string Path, bool Hit)> RunAsync(BuildContext context, string basePath, string digest, string inputDigest)
    {
        var recipe = context.Recipe;
        return context.Cache.GetOrCreateAsync(Name, digest, async dir =>
        {
            var upper = Path.Combine(dir, UpperDirectory);
            var work = Path.Combine(dir, "work");
            var tree = Path.Combine(dir, "merged");
            Directory.CreateDirectory(upper);
            Directory.CreateDirectory(work);
            try
            {
                await Mounts.OverlayAsync(tree, [Path.Combine(basePath, BaseRootfsStage.TreeDirectory)], upper, work, context.CancellationToken);
                var kernelVersion = BaseRootfsStage.FindKernelVersion(tree);
                await File.WriteAllTextAsync(Path.Combine(dir, KernelFile), kernelVersion, context.CancellationToken);

                WriteBootReport(tree);
                if (recipe.Base.Kind == BaseKind.Busybox)
                    ConfigureBusybox(context, tree);
                else
                    await ConfigureDebianAsync(context, tree);

                if (context.ReportAgent is { } agent)
                    await InstallReportAgentAsync(context, tree, agent);

                var identity = new ImageIdentity(recipe.Name, inputDigest, recipe.SourceDigest, recipe.Base.ToString());
                WriteFile(tree, ImageIdentity.PathInImage, JsonSerializer.Serialize(identity, ManifestJson.Options) + "\n", 0b110_100_100);

                foreach (var file in recipe.Files)
                    WriteFile(tree, file.Path.TrimStart('/'), file.ReadBytes(), file.Mode);

                foreach (var command in recipe.Commands)
                    await RunIsolatedAsync(context, tree, command, recipe.Base.Kind);

                if (BaseRootfsStage.FindKernelVersion(tree) != kernelVersion)
                    throw new BuildStepException(Name, "find /boot/vmlinuz-*", $"the recipe's commands replaced kernel {kernelVersion}; choose the kernel with 'kernel:' instead", "");
                if (recipe.Disk.ReadOnlyRoot && recipe.Base.Kind == BaseKind.Debian)
                    await ReadOnlyRoot.ConfigureAsync(context, tree, kernelVersion);
                await File.WriteAllTextAsync(Path.Combine(dir, PackagesFile), ReadPackages(tree, context), context.CancellationToken);
            }
            finally
            {
                Mounts.UnmountUnder(tree);
                if (Directory.Exists(tree))
                    Directory.Delete(tree);
                StageCache.TryDelete(work);
            }

            // Only this layer's entries: touching through the overlay would copy the whole base up.
            await context.RunAsync(Name, "find", upper, "-exec", "touch", "-h", "-d", $"@{context.SourceDateEpoch}", "{}", "+");
        });
    }

    private static void ConfigureBusybox(BuildContext context, string tree)
    {
        foreach (var dir in new[] { "etc/init.d", "etc/rc.d", "proc", "sys", "dev", "run", "tmp", "root", "usr/share/udhcpc", "var/log" })
            Directory.CreateDirectory(Path.Combine(tree, dir));
        File.SetUnixFileMode(Path.Combine(tree, "tmp"), (UnixFileMode)0b1_111_111_111);

        WriteFile(tree, "etc/inittab", EmbeddedFiles.Read("Stages/busybox-inittab"), 0b110_100_100);
        WriteFile(tree, "etc/init.d/rcS", EmbeddedFiles.Read("Stages/busybox-rcS"), 0b111_101_101);
        WriteFile(tree, "usr/share/udhcpc/default.script", EmbeddedFiles.Read("Stages/busybox-udhcpc.script"), 0b111_101_101);
        WriteFile(tree, "etc/hostname", context.Recipe.Name + "\n", 0b110_100_100);
        WriteFile(tree, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0b110_100_100);
        WriteFile(tree, "etc/group", "root:x:0:\n", 0b110_100_100);
        // Locked by default: a recipe that wants a console login sets its own /etc/shadow.
        WriteFile(tree, "etc/shadow", "root:*:19000:0:99999:7:::\n", 0b110_000_000);
        WriteFile(tree, "etc/shells", "/bin/sh\n", 0b110_100_100);
        var resolv = Path.Combine(tree, "etc/resolv.conf");
        if (!File.Exists(resolv) && new FileInfo(resolv).LinkTarget is null)
            File.CreateSymbolicLink(resolv, "/run/resolv.conf");
    }

    private static async Task ConfigureDebianAsync(BuildContext context, string tree)
    {
        WriteDebianConfiguration(tree, context.Recipe.Name);
        await context.RunAsync(Name, "chroot", [tree, "systemctl", "enable", .. DebianUnits]);
    }

    /// <summary>The services a Debian image enables: networking and the console boot report.</summary>
    internal static readonly string[] DebianUnits = ["systemd-networkd.service", "imagepipeline-boot-report.service"];

    /// <summary>The report agent's unit in a Debian image.</summary>
    internal const string ReportUnit = "imagepipeline-report.service";

    /// <summary>The script that prints the boot report line on the console, in every image.</summary>
    internal static void WriteBootReport(string tree) =>
        WriteFile(tree, "usr/lib/imagepipeline/boot-report", EmbeddedFiles.Read("Stages/boot-report"), 0b111_101_101);

    /// <summary>The builder's system configuration of a Debian image (the units in <see cref="DebianUnits"/> are enabled by the caller).</summary>
    internal static void WriteDebianConfiguration(string tree, string hostname)
    {
        WriteFile(tree, "etc/hostname", hostname + "\n", 0b110_100_100);
        WriteFile(tree, "etc/systemd/network/80-imagepipeline-wired.network", EmbeddedFiles.Read("Stages/networkd-wired.network"), 0b110_100_100);
        // An immutable image boots many machines: each must generate its own machine id on first boot.
        WriteFile(tree, "etc/machine-id", "", 0b100_100_100);
        WriteFile(tree, "etc/systemd/system/imagepipeline-boot-report.service", EmbeddedFiles.Read("Stages/imagepipeline-boot-report.service"), 0b110_100_100);
    }

    /// <summary>
    /// The report agent, the recipe's health checks and (Debian) its unit, which the caller
    /// enables; and (Debian) the agent's validation channel, which udev starts only when the
    /// validation harness's virtio-serial port exists (the agent's guest-channel mode).
    /// </summary>
    internal static void WriteReportAgentFiles(string tree, Recipe recipe, byte[] agent)
    {
        WriteFile(tree, "usr/lib/imagepipeline/imagepipe-agent", agent, 0b111_101_101);
        if (Agent.HealthCheckFile.ToJson(recipe.Validate) is { } checks)
            WriteFile(tree, Agent.HealthCheckFile.PathInImage, checks, 0b110_100_100);
        if (recipe.Base.Kind == BaseKind.Debian)
        {
            WriteFile(tree, "etc/systemd/system/" + ReportUnit, EmbeddedFiles.Read("Stages/imagepipeline-report.service"), 0b110_100_100);
            WriteFile(tree, "usr/lib/systemd/system/" + GuestChannelUnit, EmbeddedFiles.Read("Stages/" + GuestChannelUnit), 0b110_100_100);
            WriteFile(tree, "usr/lib/udev/rules.d/90-imagepipeline-guest-channel.rules", EmbeddedFiles.Read("Stages/90-imagepipeline-guest-channel.rules"), 0b110_100_100);
        }
    }

    /// <summary>The agent's validation channel in a Debian image: wanted by its virtio-serial port, never enabled.</summary>
    internal const string GuestChannelUnit = "imagepipeline-guest-channel.service";

    /// <summary>The agent in report mode, started at every boot: a busybox rc.d script, or a systemd unit.</summary>
    private static async Task InstallReportAgentAsync(BuildContext context, string tree, string agent)
    {
        WriteReportAgentFiles(tree, context.Recipe, await File.ReadAllBytesAsync(agent, context.CancellationToken));
        if (context.Recipe.Base.Kind == BaseKind.Busybox)
        {
            // A busybox image has no C library of its own; with A/B slots its agent also updates the
            // machine in place, which checks chunks and signatures with OpenSSL (.NET's crypto on Linux).
            string[] libraries = context.Recipe.Disk.AbSlots ? [.. Agent.AgentFiles.Glibc, .. Agent.AgentFiles.OpenSsl] : [.. Agent.AgentFiles.Glibc];
            Agent.AgentFiles.CheckPresent(libraries);
            foreach (var library in libraries)
            {
                if (!File.Exists(Path.Combine(tree, library.TrimStart('/'))))
                    WriteFile(tree, library.TrimStart('/'), await File.ReadAllBytesAsync(library, context.CancellationToken), 0b111_101_101);
            }

            WriteFile(tree, "etc/rc.d/90-imagepipeline-report", EmbeddedFiles.Read("Stages/busybox-report-agent"), 0b111_101_101);
        }
        else
        {
            await context.RunAsync(Name, "chroot", tree, "systemctl", "enable", ReportUnit);
        }
    }

    /// <summary>One recipe command, as root in the image tree but isolated from the build server (<see cref="CommandSandbox"/>).</summary>
    private static async Task RunIsolatedAsync(BuildContext context, string tree, string command, BaseKind kind)
    {
        var policy = Path.Combine(tree, "usr/sbin/policy-rc.d");
        try
        {
            // Services must not start inside the build (Debian policy-rc.d protocol: exit 101 = forbidden).
            if (kind == BaseKind.Debian)
                WriteFile(tree, "usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", 0b111_101_101);
            await RunInImageAsync(context, tree, command, new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" });
        }
        finally
        {
            if (kind == BaseKind.Debian && (File.Exists(policy) || new FileInfo(policy).LinkTarget is not null))
                File.Delete(policy);
        }
    }

    /// <summary>A shell command as root in the image tree, in the sandbox (<see cref="CommandSandbox"/>), with a plain environment and <paramref name="environment"/>.</summary>
    internal static async Task RunInImageAsync(BuildContext context, string tree, string command, IReadOnlyDictionary<string, string?> environment)
    {
        var full = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin", ["HOME"] = "/root", ["LC_ALL"] = "C",
        };
        foreach (var (name, value) in environment)
        {
            if (value is not null)
                full[name] = value;
        }

        await context.Tools.RunAsync(Name, CommandSandbox.Tool, [.. CommandSandbox.Arguments(tree, command, full)], context.CancellationToken);
    }

    private static string ReadPackages(string tree, BuildContext context)
    {
        var baseList = Path.Combine(tree, BaseRootfsStage.PackageListPath);
        if (context.Recipe.Base.Kind == BaseKind.Debian && File.Exists(Path.Combine(tree, "var/lib/dpkg/status")))
        {
            // Commands may have installed or removed packages: dpkg's own database is the truth.
            // Read as the image sees it: the commands ran before, and a symlink they left must not make the host read its own files.
            var status = DpkgStatus.Parse(System.Text.Encoding.UTF8.GetString(ConfinedFile.ReadAllBytes(tree, "var/lib/dpkg/status", ConfinedResolve.InRoot, 64L << 20)));
            return string.Concat(status.Select(p => $"{p.Name}\t{p.Version}\t{p.Architecture}\n"));
        }

        return File.Exists(baseList) ? File.ReadAllText(baseList) : "";
    }

    internal static void WriteFile(string tree, string relativePath, string content, int mode) =>
        WriteFile(tree, relativePath, System.Text.Encoding.UTF8.GetBytes(content), mode);

    internal static void WriteFile(string tree, string relativePath, byte[] content, int mode)
    {
        var target = Path.Combine(tree, relativePath);
        EnsureInside(tree, target);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (File.Exists(target) || new FileInfo(target).LinkTarget is not null)
            File.Delete(target);
        File.WriteAllBytes(target, content);
        File.SetUnixFileMode(target, (UnixFileMode)mode);
    }

    /// <summary>A path in the image must not escape the tree through a symlink in the base (for example /etc/x -> /host).</summary>
    private static void EnsureInside(string tree, string target)
    {
        var root = Path.GetFullPath(tree);
        var current = root;
        foreach (var segment in Path.GetRelativePath(root, Path.GetDirectoryName(target)!).Split('/'))
        {
            if (segment is "." or "")
                continue;
            current = Path.Combine(current, segment);
            var info = new DirectoryInfo(current);
            if (info.LinkTarget is { } link)
            {
                var resolved = link.StartsWith('/') ? Path.Combine(root, link.TrimStart('/')) : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, link));
                if (!Path.GetFullPath(resolved).StartsWith(root, StringComparison.Ordinal))
                    throw new Tools.BuildStepException(Name, $"write {target}", $"'{current}' is a symlink leading outside the image", "");
                current = resolved;
            }
        }
    }
}
