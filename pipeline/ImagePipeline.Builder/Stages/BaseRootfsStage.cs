using ImagePipeline.Builder.Caching;
using ImagePipeline.Builder.Debian;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Stages;

/// <summary>
/// Stage 1: the base root filesystem from the Debian archive by mmdebstrap, unpacked as a
/// directory tree that later stages use read-only as the lower layer of an overlay. Keyed by
/// base, kernel and packages, and by the day (package lists drift daily) unless the recipe pins a
/// snapshot. This is the slow stage; nothing the operator adds later re-runs it. A busybox base is
/// finished here too: modules pruned and indexed, applet links made, its initramfs built.
/// </summary>
public static class BaseRootfsStage
{
    public const string Name = "base";
    public const string Tarball = "base.tar";
    public const string TreeDirectory = "tree";
    public const string KernelFile = "kernel-version";
    /// <summary>A random id per creation: a refreshed base under the same digest must not reuse layers built on the old one.</summary>
    public const string GenerationFile = "generation";
    /// <summary>Where, inside the tree, the list of packages in the base is recorded (Package TAB Version TAB Architecture).</summary>
    public const string PackageListPath = "var/lib/imagepipeline/base-packages.tsv";

    /// <summary>
    /// mmdebstrap options for every Debian tree the builder makes (images, the installer, and the
    /// peer install of bench seed; install.sh spells the same in shell): no translations, no man
    /// pages, locales or docs but the locale aliases and the copyright files.
    /// </summary>
    public static readonly IReadOnlyList<string> SlimOptions =
    [
        "--aptopt=Acquire::Languages \"none\"",
        "--dpkgopt=path-exclude=/usr/share/man/*",
        "--dpkgopt=path-exclude=/usr/share/locale/*",
        "--dpkgopt=path-include=/usr/share/locale/locale.alias",
        "--dpkgopt=path-exclude=/usr/share/doc/*",
        "--dpkgopt=path-include=/usr/share/doc/*/copyright",
        "--dpkgopt=path-exclude=/usr/share/info/*",
    ];

    /// <summary>Packages every Debian image needs to boot and be managed.</summary>
    private static readonly string[] DebianEssentials = ["systemd-sysv", "udev", "initramfs-tools", "kmod", "iproute2"];
    private static readonly string[] BusyboxEssentials = ["busybox-static"];
    /// <summary>What a dm-verity root needs in the image: veritysetup (its initramfs opens the root with it) and dmsetup.</summary>
    private static readonly string[] VerityPackages = ["cryptsetup-bin"];

    /// <summary>The packages the recipe asks for, with those its disk settings need.</summary>
    private static IEnumerable<string> RequestedPackages(Recipe recipe) =>
        recipe.Disk.Verity ? recipe.Packages.Concat(VerityPackages).Distinct() : recipe.Packages;

    /// <summary>What mmdebstrap is asked to include: the essentials of the base, the kernel and the requested packages.</summary>
    internal static IReadOnlyList<string> Included(Recipe recipe) =>
        [.. (recipe.Base.Kind == BaseKind.Busybox ? BusyboxEssentials : DebianEssentials).Append(recipe.Kernel).Concat(RequestedPackages(recipe)).Distinct()];

    /// <summary>Where, inside the tree, the files of a busybox image's packages are listed (tar member names).</summary>
    public const string FileListPath = "var/lib/imagepipeline/base-files.list";

    /// <summary>
    /// The extract variant unpacks the named packages and all their dependencies (the kernel pulls
    /// in initramfs-tools, perl, PAM...). A busybox image keeps only busybox, the kernel and the
    /// recipe's own packages: this hook lists their packages and files from the .debs themselves
    /// (there is no dpkg database), and the rootfs stage unpacks only those files.
    /// </summary>
    private static string BusyboxSelectionHook(Recipe recipe)
    {
        var keep = string.Join(' ', BusyboxEssentials.Append(recipe.Kernel).Concat(recipe.Packages));
        var dir = Path.GetDirectoryName(PackageListPath);
        return $$"""
            set -e; out="$1/{{dir}}"; mkdir -p "$out"; : > "$out/files.unsorted"; : > "$out/packages.unsorted"
            for deb in "$1"/var/cache/apt/archives/*.deb; do
              package=$(dpkg-deb --field "$deb" Package)
              case " {{keep}} " in *" $package "*) ;; *) case "$package" in linux-image-*) ;; *) continue ;; esac ;; esac
              dpkg-deb --show --showformat='${Package}\t${Version}\t${Architecture}\n' "$deb" >> "$out/packages.unsorted"
              dpkg-deb --fsys-tarfile "$deb" | tar -t >> "$out/files.unsorted"
            done
            sort -u "$out/packages.unsorted" > "$1/{{PackageListPath}}"
            # dpkg's path-exclude left out docs and man pages: list only what was unpacked.
            { sort -u "$out/files.unsorted" | while read -r f; do if [ -e "$1/$f" ] || [ -L "$1/$f" ]; then echo "$f"; fi; done; echo "./{{PackageListPath}}"; } > "$1/{{FileListPath}}"
            rm "$out/files.unsorted" "$out/packages.unsorted"
            """;
    }

    /// <summary>The extract variant runs no maintainer scripts: applet links, modules index and initramfs are made here.</summary>
    private static async Task FinishBusyboxAsync(BuildContext context, string tree, string kernelVersion)
    {
        foreach (var dir in new[] { "bin", "sbin", "usr/bin", "usr/sbin" })
            Directory.CreateDirectory(Path.Combine(tree, dir));
        await context.RunAsync(Name, "chroot", tree, "/bin/busybox", "--install", "-s");
        Boot.KernelModulePruning.Prune(Path.Combine(tree, "lib/modules", kernelVersion), context.Log);
        await context.RunAsync(Name, "depmod", "-b", tree, kernelVersion);
        await Boot.BusyboxInitramfs.BuildAsync(context, tree, kernelVersion);
    }

    internal static string FindKernelVersion(string tree)
    {
        var kernels = Directory.Exists(Path.Combine(tree, "boot"))
            ? Directory.GetFiles(Path.Combine(tree, "boot"), "vmlinuz-*").Select(f => Path.GetFileName(f)["vmlinuz-".Length..]).Order(StringComparer.Ordinal).ToList()
            : [];
        return kernels.Count switch
        {
            1 => kernels[0],
            0 => throw new Tools.BuildStepException(Name, "find /boot/vmlinuz-*", "the root filesystem has no kernel in /boot; set 'kernel:' to a Debian kernel package such as linux-image-amd64", ""),
            _ => throw new Tools.BuildStepException(Name, "find /boot/vmlinuz-*", $"the root filesystem has {kernels.Count} kernels ({string.Join(", ", kernels)}); an image boots exactly one, so install one kernel package", ""),
        };
    }

    public static string Digest(Recipe recipe, string day)
    {
        using var digest = new DigestBuilder()
            .Add("stage", "base/v3")
            .Add("base", recipe.Base.ToString())
            .Add("kernel", recipe.Kernel)
            .Add("packages", string.Join('\n', RequestedPackages(recipe).Order(StringComparer.Ordinal)))
            .Add("freshness", recipe.Snapshot ?? day)
            // A busybox base is finished with the builder's own initramfs.
            .Add("builder-files", recipe.Base.Kind == BaseKind.Busybox ? InputDigest.BuilderFilesDigest : "");
        return digest.Finish();
    }

    public static async Task<(string Path, bool Cached)> RunAsync(BuildContext context, bool refresh)
    {
        var recipe = context.Recipe;
        var digest = Digest(recipe, context.BaseDay);
        if (refresh && context.Cache.Contains(Name, digest))
            context.Observer.Message("--refresh: a fresh base replaces the cached one (builds using the old one keep it until they end)");

        return await context.Cache.GetOrCreateAsync(Name, digest, replace: refresh, cancellationToken: context.CancellationToken, produce: async dir =>
        {
            var sources = AptSources.ForSuite(recipe.Base.Suite, recipe.Snapshot);
            var busybox = recipe.Base.Kind == BaseKind.Busybox;
            var include = Included(recipe);
            List<string> arguments =
            [
                Environment.UserName == "root" ? "--mode=root" : "--mode=unshare",
                busybox ? "--variant=extract" : "--variant=minbase",
                "--include=" + string.Join(',', include),
                .. SlimOptions,
            ];
            if (busybox)
                arguments.Add("--extract-hook=" + BusyboxSelectionHook(recipe));

            arguments.Add(recipe.Base.Suite);
            var tarball = Path.Combine(dir, Tarball);
            arguments.Add(tarball);
            arguments.AddRange(sources);
            await context.Tools.RunAsync(Name, "mmdebstrap", arguments, context.CancellationToken, context.ReproducibleEnvironment());

            var tree = Path.Combine(dir, TreeDirectory);
            Directory.CreateDirectory(tree);
            if (busybox)
            {
                // Only the files of the packages the image keeps (see BusyboxSelectionHook).
                var list = Path.Combine(dir, "files.list");
                await File.WriteAllTextAsync(list, await context.Tools.RunAsync(Name, "tar", ["-xOf", tarball, "./" + FileListPath], context.CancellationToken, quiet: true), context.CancellationToken);
                await context.RunAsync(Name, "tar", "--numeric-owner", "--no-recursion", "-xpf", tarball, "-C", tree, "-T", list);
                File.Delete(list);
            }
            else
            {
                await context.RunAsync(Name, "tar", "--numeric-owner", "-xpf", tarball, "-C", tree);
            }

            File.Delete(tarball);
            var kernelVersion = FindKernelVersion(tree);
            await File.WriteAllTextAsync(Path.Combine(dir, KernelFile), kernelVersion, context.CancellationToken);
            if (busybox)
                await FinishBusyboxAsync(context, tree, kernelVersion);

            await File.WriteAllTextAsync(Path.Combine(dir, GenerationFile), Guid.NewGuid().ToString("N"), context.CancellationToken);
            await context.RunAsync(Name, "find", tree, "-exec", "touch", "-h", "-d", $"@{context.SourceDateEpoch}", "{}", "+");
        });
    }
}
