using ImagePipeline.Builder.Caching;
using ImagePipeline.Builder.Debian;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Stages;

/// <summary>
/// Stage 1: the base root filesystem from the Debian archive by mmdebstrap, as a tarball.
/// Keyed by base, kernel and packages, and by the day (package lists drift daily) unless the
/// recipe pins a snapshot. This is the slow stage; nothing the operator adds later re-runs it.
/// </summary>
public static class BaseRootfsStage
{
    public const string Name = "base";
    public const string Tarball = "base.tar";
    /// <summary>Where, inside the tree, the list of packages in the base is recorded (Package TAB Version TAB Architecture).</summary>
    public const string PackageListPath = "var/lib/imagepipeline/base-packages.tsv";

    /// <summary>Packages every Debian image needs to boot and be managed.</summary>
    private static readonly string[] DebianEssentials = ["systemd-sysv", "udev", "initramfs-tools", "kmod", "iproute2"];
    private static readonly string[] BusyboxEssentials = ["busybox-static"];

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

    public static string Digest(Recipe recipe, string day)
    {
        using var digest = new DigestBuilder()
            .Add("stage", "base/v2")
            .Add("base", recipe.Base.ToString())
            .Add("kernel", recipe.Kernel)
            .Add("packages", string.Join('\n', recipe.Packages.Order(StringComparer.Ordinal)))
            .Add("freshness", recipe.Snapshot ?? day);
        return digest.Finish();
    }

    public static async Task<(string Path, bool Cached)> RunAsync(BuildContext context, bool refresh)
    {
        var recipe = context.Recipe;
        var digest = Digest(recipe, context.BaseDay);
        if (refresh && context.Cache.Contains(Name, digest))
        {
            context.Observer.Message("--refresh: discarding the cached base");
            StageCache.TryDelete(context.Cache.PathOf(Name, digest));
        }

        return await context.Cache.GetOrCreateAsync(Name, digest, async dir =>
        {
            var sources = AptSources.ForSuite(recipe.Base.Suite, recipe.Snapshot);
            var busybox = recipe.Base.Kind == BaseKind.Busybox;
            var include = (busybox ? BusyboxEssentials : DebianEssentials).Append(recipe.Kernel).Concat(recipe.Packages).Distinct();
            var arguments = new List<string>
            {
                Environment.UserName == "root" ? "--mode=root" : "--mode=unshare",
                busybox ? "--variant=extract" : "--variant=minbase",
                "--include=" + string.Join(',', include),
                "--aptopt=Acquire::Languages \"none\"",
                "--dpkgopt=path-exclude=/usr/share/man/*",
                "--dpkgopt=path-exclude=/usr/share/locale/*",
                "--dpkgopt=path-include=/usr/share/locale/locale.alias",
                "--dpkgopt=path-exclude=/usr/share/doc/*",
                "--dpkgopt=path-include=/usr/share/doc/*/copyright",
                "--dpkgopt=path-exclude=/usr/share/info/*",
            };
            if (busybox)
                arguments.Add("--extract-hook=" + BusyboxSelectionHook(recipe));

            arguments.Add(recipe.Base.Suite);
            arguments.Add(Path.Combine(dir, Tarball));
            arguments.AddRange(sources);
            await context.Tools.RunAsync(Name, "mmdebstrap", arguments, context.CancellationToken, context.ReproducibleEnvironment());
        });
    }
}
