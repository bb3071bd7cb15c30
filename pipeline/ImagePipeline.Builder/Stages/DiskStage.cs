using System.Globalization;
using System.Text.Json;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder.Boot;
using ImagePipeline.Builder.Caching;
using ImagePipeline.Builder.Disk;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Stages;

/// <summary>
/// Stage 3: filesystems and the GPT disk. The ESP (FAT32: kernel, initrd, systemd-boot, SYSLINUX)
/// and the root filesystem (ext4, squashfs or erofs; with verity, its hash tree; with a /var
/// partition, an ext4 of the image's /var) are made as separate files with UUIDs derived from
/// this stage's digest, laid into a sparse raw disk at the offsets sfdisk chose, and the result is
/// read back with our own GPT reader. Same inputs, same bytes.
/// </summary>
public static class DiskStage
{
    public const string Name = "disk";
    public const string LayoutFile = "layout.json";
    private const int SectorSize = 512;
    /// <summary>
    /// The zstd level <see cref="MakeSquashfsAsync"/> compresses at, named in the digest of a
    /// squashfs root's disk (one constant: a new level must make a new digest).
    /// </summary>
    private const int SquashfsZstdLevel = 6;

    public static string Digest(Recipe recipe, string rootfsDigest, long sourceDateEpoch)
    {
        using var digest = new DigestBuilder()
            .Add("stage", "disk/v3")
            .Add("rootfs", rootfsDigest)
            .Add("name", recipe.Name)
            .Add("size", recipe.Disk.SizeBytes.ToString(CultureInfo.InvariantCulture))
            .Add("esp", recipe.Disk.EspSizeBytes.ToString(CultureInfo.InvariantCulture))
            .Add("root", recipe.Disk.Root.ToString() + (recipe.Disk.Verity ? "+verity" : "") + (recipe.Disk.VarPartition ? $"+var={recipe.Disk.VarSizeBytes}" : "") + (recipe.Disk.AbSlots ? "+slots=ab" : ""))
            .Add("boot", string.Join(',', recipe.Boot))
            .Add("cmdline", recipe.Cmdline)
            .Add("epoch", sourceDateEpoch.ToString(CultureInfo.InvariantCulture));
        // A squashfs root's compression is in its bytes: other roots' digests (and image ids) stay as they were.
        if (recipe.Disk.Root == RootFilesystem.Squashfs)
            digest.Add("squashfs", $"zstd-{SquashfsZstdLevel}");
        return digest.Finish();
    }

    /// <summary>Builds the disk; with <paramref name="bypassCache"/> it is built into a scratch directory and not published to the cache.</summary>
    /// <param name="layers">the root filesystem as overlay layers, upper first (see <see cref="RootfsStage.Layers"/>)</param>
    public static async Task<(string Path, bool Hit)> RunAsync(BuildContext context, IReadOnlyList<string> layers, string rootfsPath, string rootfsDigest, bool bypassCache = false, string? scratch = null)
    {
        var digest = Digest(context.Recipe, rootfsDigest, context.SourceDateEpoch);
        if (bypassCache)
        {
            Directory.CreateDirectory(scratch!);
            await ProduceAsync(context, layers, rootfsPath, digest, scratch!);
            return (scratch!, false);
        }

        return await context.Cache.GetOrCreateAsync(Name, digest, dir => ProduceAsync(context, layers, rootfsPath, digest, dir));
    }

    private static async Task ProduceAsync(BuildContext context, IReadOnlyList<string> layers, string rootfsPath, string digest, string dir)
    {
        var recipe = context.Recipe;
        var kernelVersion = (await File.ReadAllTextAsync(Path.Combine(rootfsPath, RootfsStage.KernelFile), context.CancellationToken)).Trim();

        var diskGuid = DigestBuilder.DeriveGuid(digest, "disk");
        var espGuid = DigestBuilder.DeriveGuid(digest, "esp-partition");
        var rootGuid = DigestBuilder.DeriveGuid(digest, "root-partition");
        var rootBGuid = DigestBuilder.DeriveGuid(digest, "root-b-partition");
        var verityGuid = DigestBuilder.DeriveGuid(digest, "root-verity-partition");
        var rootFsUuid = DigestBuilder.DeriveGuid(digest, "root-filesystem");
        var varGuid = DigestBuilder.DeriveGuid(digest, "var-partition");
        var varFsUuid = DigestBuilder.DeriveGuid(digest, "var-filesystem");
        var espVolumeId = Convert.ToHexString(DigestBuilder.DeriveGuid(digest, "esp-volume").ToByteArray(), 0, 4);

        long espStart = DiskSpec.MiB / SectorSize;
        var espSectors = recipe.Disk.EspSizeBytes / SectorSize;
        var rootStart = espStart + espSectors;
        var totalSectors = recipe.Disk.SizeBytes / SectorSize;
        // /var, when it has a partition, is last: MiB-aligned, taken from the root's share.
        var varSectors = (recipe.Disk.VarSizeBytes + DiskSpec.MiB - 1) / DiskSpec.MiB * (DiskSpec.MiB / SectorSize);
        var rootSectors = totalSectors - rootStart - DiskSpec.MiB / SectorSize - varSectors;
        var varStart = rootStart + rootSectors;
        // A/B slots: two MiB-aligned halves of the root's share; the image fills slot A, slot B is empty.
        var slots = recipe.Disk.AbSlots;
        if (slots)
            rootSectors = rootSectors / 2 / (DiskSpec.MiB / SectorSize) * (DiskSpec.MiB / SectorSize);
        var rootBStart = rootStart + rootSectors;

        var rawPath = Path.Combine(dir, ArtifactStoreLayout.RawDisk);
        // The filesystems are made in memory when it has room: mkfs and debugfs fsync their image
        // on close, which on disk costs seconds for data that is copied into disk.raw right after.
        var scratch = ScratchDirectory(recipe.Disk.SizeBytes, dir);
        var espImage = Path.Combine(scratch, "esp.img");
        var rootImage = Path.Combine(scratch, "root.img");
        var hashImage = Path.Combine(scratch, "root-verity.img");
        var varImage = Path.Combine(scratch, "var.img");
        // The root filesystem is read through a read-only overlay of the cached layers.
        var tree = Path.Combine(scratch, "root");
        var slotLayer = Path.Combine(scratch, "slot-boot");
        try
        {
            if (slots)
            {
                // How to boot this root from either slot goes into the root itself (SlotBoot.SpecPath).
                var template = SlotCommandLineTemplate(recipe, rootGuid, varGuid);
                var spec = new SlotBootSpec($"boot/vmlinuz-{kernelVersion}", $"boot/initrd.img-{kernelVersion}", template);
                var specPath = Path.Combine(slotLayer, SlotBoot.SpecPath);
                Directory.CreateDirectory(Path.GetDirectoryName(specPath)!);
                await File.WriteAllTextAsync(specPath, JsonSerializer.Serialize(spec, ProtocolJson.Default.SlotBootSpec) + "\n", context.CancellationToken);
                await context.Tools.RunAsync(Name, "find", [slotLayer, "-exec", "touch", "-h", "-d", $"@{context.SourceDateEpoch}", "{}", "+"], context.CancellationToken);
                layers = [slotLayer, .. layers];
            }

            await Tools.Mounts.OverlayAsync(tree, layers, null, null, context.CancellationToken);
            var fsType = recipe.Disk.Root.ToString().ToLowerInvariant();
            Task MakeRootAsync() => recipe.Disk.Root switch
            {
                RootFilesystem.Squashfs => MakeSquashfsAsync(context, tree, rootImage, rootSectors * SectorSize),
                RootFilesystem.Erofs => MakeErofsAsync(context, tree, rootImage, rootSectors * SectorSize, rootFsUuid),
                _ => MakeExt4Async(context, tree, rootImage, rootSectors * SectorSize, rootFsUuid, "root", "disk.size"),
            };
            // The image's /var, as the first content of a /var that keeps what the machine writes.
            Task MakeVarAsync() => recipe.Disk.VarPartition
                ? MakeExt4Async(context, Path.Combine(tree, "var"), varImage, varSectors * SectorSize, varFsUuid, "var", "disk.var")
                : Task.CompletedTask;
            Guid? varPartition = recipe.Disk.VarPartition ? varGuid : null;
            VerityHashTree? verity = null;
            long veritySectors = 0;
            string commandLine;
            if (!recipe.Disk.Verity)
            {
                // The two filesystems are independent: make them side by side.
                commandLine = slots
                    ? SlotBoot.CommandLine(SlotCommandLineTemplate(recipe, rootGuid, varGuid), "a", rootGuid, varPartition)
                    : BootLoaders.KernelCommandLine(BootLoaders.RootArguments(recipe, rootGuid, varPartition: varPartition), recipe.Cmdline);
                await Task.WhenAll(MakeEspAsync(context, tree, kernelVersion, espImage, espStart, espSectors, espVolumeId, commandLine), MakeRootAsync(), MakeVarAsync());
            }
            else
            {
                // The root's hash goes into the command line on the ESP: root, hash tree, then ESP.
                await Task.WhenAll(MakeRootAsync(), MakeVarAsync());
                verity = await VerityHashTree.FormatAsync(context, Name, rootImage, hashImage, digest);
                veritySectors = (new FileInfo(hashImage).Length + DiskSpec.MiB - 1) / DiskSpec.MiB * (DiskSpec.MiB / SectorSize);
                rootSectors -= veritySectors;
                if (new FileInfo(rootImage).Length > rootSectors * SectorSize)
                    throw new Tools.BuildStepException(Name, "veritysetup", $"the {fsType} root and its verity hash tree do not fit the disk; raise disk.size in the recipe", "");
                commandLine = BootLoaders.KernelCommandLine(BootLoaders.RootArguments(recipe, rootGuid, verityGuid, verity.RootHash, varPartition), recipe.Cmdline);
                await MakeEspAsync(context, tree, kernelVersion, espImage, espStart, espSectors, espVolumeId, commandLine);
            }

            await using (var raw = new FileStream(rawPath, FileMode.CreateNew, FileAccess.Write))
                raw.SetLength(recipe.Disk.SizeBytes);

            var bootable = recipe.Boot.Contains(BootMode.Bios) ? ", attrs=\"LegacyBIOSBootable\"" : "";
            var verityLine = verity is null ? "" : $"start={rootStart + rootSectors}, size={veritySectors}, type={GptPartition.LinuxRootVerityX86X64:D}, uuid={verityGuid:D}, name=\"root-verity\"\n";
            var varLine = !recipe.Disk.VarPartition ? "" : $"start={varStart}, size={varSectors}, type={GptPartition.LinuxVariableData:D}, uuid={varGuid:D}, name=\"var\"\n";
            var rootName = slots ? SlotBoot.RootPartition("a") : "root";
            var slotBLine = !slots ? "" : $"start={rootBStart}, size={rootSectors}, type={GptPartition.LinuxRootX86X64:D}, uuid={rootBGuid:D}, name=\"{SlotBoot.RootPartition("b")}\"\n";
            var script = $"""
                label: gpt
                label-id: {diskGuid:D}
                unit: sectors
                first-lba: 2048
                sector-size: {SectorSize}

                start={espStart}, size={espSectors}, type={GptPartition.EfiSystem:D}, uuid={espGuid:D}, name="ESP"{bootable}
                start={rootStart}, size={rootSectors}, type={GptPartition.LinuxRootX86X64:D}, uuid={rootGuid:D}, name="{rootName}"
                {slotBLine}{verityLine}{varLine}
                """;
            await context.Tools.RunAsync(Name, "sfdisk", ["--no-reread", "--no-tell-kernel", "--wipe", "never", rawPath], context.CancellationToken, standardInput: script);

            SparseCopy.Into(espImage, rawPath, espStart * SectorSize);
            SparseCopy.Into(rootImage, rawPath, rootStart * SectorSize);
            if (verity is not null)
                SparseCopy.Into(hashImage, rawPath, (rootStart + rootSectors) * SectorSize);
            if (recipe.Disk.VarPartition)
                SparseCopy.Into(varImage, rawPath, varStart * SectorSize);
            if (recipe.Boot.Contains(BootMode.Bios))
                WriteMbrBootCode(rawPath);

            var table = GptReader.Read(rawPath);
            List<PartitionDescription> partitions =
            [
                DiskLayout.Describe(table.Partitions[0], SectorSize, "vfat", espVolumeId[..4] + "-" + espVolumeId[4..]),
                DiskLayout.Describe(table.Partitions[1], SectorSize, fsType, fsType is "ext4" or "erofs" ? rootFsUuid.ToString("D") : null),
            ];
            if (slots)
                partitions.Add(DiskLayout.Describe(table.Partitions[2], SectorSize, "none", null));
            if (verity is not null)
                partitions.Add(DiskLayout.Describe(table.Partitions[2], SectorSize, "verity", verity.Uuid.ToString("D")));
            if (recipe.Disk.VarPartition)
                partitions.Add(DiskLayout.Describe(table.Partitions[partitions.Count], SectorSize, "ext4", varFsUuid.ToString("D")));
            var layout = new DiskLayout(diskGuid, kernelVersion, commandLine, partitions) { VerityRootHash = verity?.RootHash };
            await File.WriteAllTextAsync(Path.Combine(dir, LayoutFile), JsonSerializer.Serialize(layout, ManifestJson.Options), context.CancellationToken);
        }
        finally
        {
            Tools.Mounts.UnmountUnder(tree);
            if (Directory.Exists(tree))
                Directory.Delete(tree);
            File.Delete(espImage);
            File.Delete(rootImage);
            File.Delete(hashImage);
            File.Delete(varImage);
            if (Directory.Exists(slotLayer))
                Directory.Delete(slotLayer, recursive: true);
            if (scratch != dir)
                Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>
    /// A slotted root's command line with the partitions left open (<see cref="SlotBootSpec"/>):
    /// the agent that puts this root into a slot fills in the machine's partitions.
    /// </summary>
    private static string SlotCommandLineTemplate(Recipe recipe, Guid rootPartition, Guid varPartition)
    {
        var root = BootLoaders.RootArguments(recipe, rootPartition, varPartition: recipe.Disk.VarPartition ? varPartition : null)
            .Replace(rootPartition.ToString("D"), SlotBoot.RootPlaceholder, StringComparison.Ordinal)
            .Replace(varPartition.ToString("D"), SlotBoot.VarPlaceholder, StringComparison.Ordinal);
        return BootLoaders.KernelCommandLine($"{root} {SlotBoot.SlotArgument}={SlotBoot.SlotPlaceholder}", recipe.Cmdline);
    }

    private static string ScratchDirectory(long diskBytes, string fallback)
    {
        const string Shm = "/dev/shm";
        try
        {
            // Sparse images in tmpfs take only their data; ask for the whole disk to be safe.
            if (Directory.Exists(Shm) && new DriveInfo(Shm).AvailableFreeSpace > 2 * diskBytes)
            {
                StageCache.RemoveStaleLocalTemporaries(Shm, "imagepipe-disk-*");
                return Directory.CreateDirectory(Path.Combine(Shm, $"imagepipe-disk-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return fallback;
    }

    private static void CopyFromTree(string tree, string relativePath, string destination)
    {
        try
        {
            ConfinedFile.CopyTo(tree, relativePath, ConfinedResolve.InRoot, destination);
        }
        catch (ConfinedFileException e)
        {
            throw new Tools.BuildStepException(Name, "esp", $"cannot take /{relativePath} from the image: {e.Message}", "");
        }
    }

    private static async Task MakeEspAsync(BuildContext context, string tree, string kernelVersion, string image, long startSector, long sectors, string volumeId, string commandLine)
    {
        var env = context.ReproducibleEnvironment();
        var recipe = context.Recipe;
        var staging = image + ".d";
        Directory.CreateDirectory(staging);
        try
        {
            // Confined to the tree: the recipe's commands ran in it and could have left a symlink to a host file in /boot.
            // A slotted disk keeps each slot's kernel and initrd in the slot's directory, and room for the other slot's.
            var slots = recipe.Disk.AbSlots;
            var bootDirectory = slots ? Path.Combine(staging, SlotBoot.EspDirectory("a")) : staging;
            Directory.CreateDirectory(bootDirectory);
            CopyFromTree(tree, $"boot/vmlinuz-{kernelVersion}", Path.Combine(bootDirectory, BootLoaders.Kernel));
            if (!File.Exists(Path.Combine(tree, "boot", $"initrd.img-{kernelVersion}")))
                throw new Tools.BuildStepException(Name, "esp", $"the root filesystem has no /boot/initrd.img-{kernelVersion}; Debian bases need initramfs-tools", "");
            CopyFromTree(tree, $"boot/initrd.img-{kernelVersion}", Path.Combine(bootDirectory, BootLoaders.Initrd));
            var needed = new DirectoryInfo(staging).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) * recipe.Disk.RootSlots + 4 * DiskSpec.MiB;
            if (needed > sectors * SectorSize * 9 / 10)
                throw new Tools.BuildStepException(Name, "esp", $"kernel and initrd need {Recipes.ByteSize.Format(needed)} but the ESP is {Recipes.ByteSize.Format(sectors * SectorSize)}; raise disk.esp in the recipe", "");

            if (recipe.Boot.Contains(BootMode.Uefi))
            {
                Directory.CreateDirectory(Path.Combine(staging, "EFI/BOOT"));
                Directory.CreateDirectory(Path.Combine(staging, "loader/entries"));
                File.Copy(BootLoaders.SystemdBootEfi, Path.Combine(staging, "EFI/BOOT/BOOTX64.EFI"));
                if (slots)
                {
                    await File.WriteAllTextAsync(Path.Combine(staging, "loader/loader.conf"), SlotBoot.LoaderConf, context.CancellationToken);
                    await File.WriteAllTextAsync(Path.Combine(staging, "loader/entries", SlotBoot.EntryFileName(1, "a")), SlotBoot.Entry(recipe.Name, "a", commandLine), context.CancellationToken);
                }
                else
                {
                    await File.WriteAllTextAsync(Path.Combine(staging, "loader/loader.conf"), BootLoaders.SystemdBootLoaderConf(recipe.Name), context.CancellationToken);
                    await File.WriteAllTextAsync(Path.Combine(staging, $"loader/entries/{recipe.Name}.conf"), BootLoaders.SystemdBootEntry(recipe.Name, commandLine), context.CancellationToken);
                }
            }

            if (slots)
                await File.WriteAllTextAsync(Path.Combine(bootDirectory, SlotBoot.CommandLineFile), commandLine + "\n", context.CancellationToken);
            if (recipe.Boot.Contains(BootMode.Bios))
            {
                var syslinux = slots
                    ? SlotBoot.SyslinuxConfig("a", new Dictionary<string, string> { ["a"] = commandLine })
                    : BootLoaders.SyslinuxConfig(commandLine);
                await File.WriteAllTextAsync(Path.Combine(staging, "syslinux.cfg"), syslinux, context.CancellationToken);
            }

            await context.Tools.RunAsync(Name, "find", [staging, "-exec", "touch", "-h", "-d", $"@{context.SourceDateEpoch}", "{}", "+"], context.CancellationToken);

            var kib = (sectors * SectorSize / 1024).ToString(CultureInfo.InvariantCulture);
            // --invariant and -i fix the volume serial; -h records the partition's start so the BIOS boot sector finds itself.
            await context.Tools.RunAsync(Name, "mkfs.vfat",
                ["-C", "--invariant", "-F", "32", "-i", volumeId, "-n", "ESP", "-S", SectorSize.ToString(CultureInfo.InvariantCulture),
                 "-h", startSector.ToString(CultureInfo.InvariantCulture), image, kib], context.CancellationToken, env);

            var directories = Directory.EnumerateDirectories(staging, "*", SearchOption.AllDirectories).Select(d => Path.GetRelativePath(staging, d)).Order(StringComparer.Ordinal).ToList();
            if (directories.Count > 0)
                await context.Tools.RunAsync(Name, "mmd", ["-i", image, .. directories.Select(d => "::/" + d)], context.CancellationToken, env);
            foreach (var file in Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(staging, f)).Order(StringComparer.Ordinal))
                await context.Tools.RunAsync(Name, "mcopy", ["-m", "-i", image, Path.Combine(staging, file), "::/" + file], context.CancellationToken, env);

            if (recipe.Boot.Contains(BootMode.Bios))
                await context.Tools.RunAsync(Name, "syslinux", ["--install", image], context.CancellationToken, env);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <param name="tree">what the file system holds: the root tree, or its /var</param>
    /// <param name="sizeField">the recipe field that makes the partition larger, for the error when it is too small</param>
    private static async Task MakeExt4Async(BuildContext context, string tree, string image, long bytes, Guid uuid, string label, string sizeField)
    {
        await using (var file = new FileStream(image, FileMode.CreateNew, FileAccess.Write))
            file.SetLength(bytes);
        try
        {
            await context.Tools.RunAsync(Name, "mkfs.ext4",
                ["-q", "-F", "-L", label, "-U", uuid.ToString("D"), "-d", tree,
                 "-E", $"hash_seed={uuid:D},root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0,nodiscard", image],
                context.CancellationToken, context.ReproducibleEnvironment());
        }
        catch (Tools.BuildStepException e) when (e.OutputTail.Contains("Could not allocate", StringComparison.Ordinal) || e.OutputTail.Contains("No space", StringComparison.Ordinal))
        {
            var used = await DirectorySizeAsync(context, tree);
            var needed = (used * 13 / 10 / DiskSpec.MiB + 1) * DiskSpec.MiB;
            var disk = context.Recipe.Disk;
            throw new Tools.BuildStepException(Name, e.Command, label == "var"
                ? $"the image's /var ({Recipes.ByteSize.Format(used)} of files) does not fit the {Recipes.ByteSize.Format(bytes)} /var partition; raise {sizeField} in the recipe to at least {Recipes.ByteSize.Format(needed)}"
                : $"the root filesystem ({Recipes.ByteSize.Format(used)} of files) does not fit the {Recipes.ByteSize.Format(bytes)} root partition; raise {sizeField} in the recipe to at least {Recipes.ByteSize.Format(needed + disk.EspSizeBytes + disk.VarSizeBytes + DiskSpec.PartitionTableOverheadBytes)}",
                e.OutputTail);
        }

        // mkfs.ext4 -d copies each file's ctime, which no one can set on the source tree, and its
        // atime, which any reader of the cached layers moves under relatime (another build beside
        // this one, or this build's own root filesystem made at the same time): rewrite both on
        // every inode so two builds of one tree are byte-identical.
        var epoch = "@" + context.SourceDateEpoch.ToString(CultureInfo.InvariantCulture);
        var commands = new System.Text.StringBuilder();
        foreach (var path in await EnumerateTreeAsync(context, tree))
        {
            // debugfs takes everything between double quotes literally (a backslash is not an escape).
            if (path.Contains('"', StringComparison.Ordinal) || path.Contains('\n', StringComparison.Ordinal))
                throw new Tools.BuildStepException(Name, "debugfs", $"the image contains a file name with a double quote or a newline, which cannot be made reproducible: {path}; rename it", "");
            var quoted = "\"" + path + "\"";
            commands.Append("sif ").Append(quoted).Append(" ctime ").Append(epoch).Append('\n');
            commands.Append("sif ").Append(quoted).Append(" atime ").Append(epoch).Append('\n');
        }

        context.Log.Line($"fixing ctime and atime of {commands.ToString().Count(c => c == '\n') / 2} inodes");
        var script = image + ".debugfs";
        await File.WriteAllTextAsync(script, commands.ToString(), context.CancellationToken);
        try
        {
            // debugfs exits 0 even when a request fails; every line it prints that is not its banner or an echoed request is an error.
            var output = await context.Tools.RunAsync(Name, "debugfs", ["-w", "-f", script, image], context.CancellationToken, context.ReproducibleEnvironment(), quiet: true);
            var errors = output.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("debugfs", StringComparison.Ordinal)).Take(5).ToList();
            if (errors.Count > 0)
                throw new Tools.BuildStepException(Name, $"debugfs -w -f {script} {image}", "could not fix inode timestamps", string.Join('\n', errors));
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>Every path in the tree, "/" first, never following symlinks (find's default; .NET's recursion may follow them).</summary>
    private static async Task<IReadOnlyList<string>> EnumerateTreeAsync(BuildContext context, string tree)
    {
        var output = await context.Tools.RunAsync(Name, "find", [tree, "-mindepth", "1", "-printf", "/%P\\0"], context.CancellationToken, quiet: true);
        return ["/", "/lost+found", .. output.Split('\0', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];
    }

    private static async Task MakeSquashfsAsync(BuildContext context, string tree, string image, long partitionBytes)
    {
        await context.Tools.RunAsync(Name, "mksquashfs",
            // SOURCE_DATE_EPOCH (in the environment) sets the filesystem time and clamps every inode's
            // time; mksquashfs refuses -all-time/-mkfs-time beside it.
            // zstd at level 6, not mksquashfs's default 15: on 1.1 GiB of libraries here, 13.7 s of
            // CPU for 313 MB against 188 s for 287 MB (level 3: 5.4 s, 336 MB). A build, an
            // emergency patch's above all, should not spend minutes for the last 9%.
            [tree, image, "-noappend", "-quiet", "-no-progress", "-comp", "zstd", "-Xcompression-level", SquashfsZstdLevel.ToString(CultureInfo.InvariantCulture)],
            context.CancellationToken, context.ReproducibleEnvironment());
        var size = new FileInfo(image).Length;
        if (size > partitionBytes)
        {
            throw new Tools.BuildStepException(Name, "mksquashfs", $"the squashfs root is {Recipes.ByteSize.Format(size)}, larger than the {Recipes.ByteSize.Format(partitionBytes)} root partition; raise disk.size in the recipe", "");
        }
    }

    private static async Task MakeErofsAsync(BuildContext context, string tree, string image, long partitionBytes, Guid uuid)
    {
        // -T fixes every inode's time and the build time, -U the UUID; erofs-utils sorts each
        // directory itself, so the same tree gives the same bytes. lz4hc: the kernel decompresses
        // it fastest of the two compressors erofs-utils 1.5 has.
        await context.Tools.RunAsync(Name, "mkfs.erofs",
            ["-zlz4hc", $"-T{context.SourceDateEpoch.ToString(CultureInfo.InvariantCulture)}", $"-U{uuid:D}", "--quiet", image, tree],
            context.CancellationToken, context.ReproducibleEnvironment());
        var size = new FileInfo(image).Length;
        if (size > partitionBytes)
            throw new Tools.BuildStepException(Name, "mkfs.erofs", $"the erofs root is {Recipes.ByteSize.Format(size)}, larger than the {Recipes.ByteSize.Format(partitionBytes)} root partition; raise disk.size in the recipe", "");
    }

    private static async Task<long> DirectorySizeAsync(BuildContext context, string tree)
    {
        var output = await context.Tools.RunAsync(Name, "du", ["-sb", tree], context.CancellationToken);
        return long.Parse(output.Split('\t')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>SYSLINUX's gptmbr.bin in the first 440 bytes; the protective MBR's partition entry after it is kept.</summary>
    private static void WriteMbrBootCode(string rawPath)
    {
        var code = File.ReadAllBytes(BootLoaders.GptMbr);
        if (code.Length > 440)
            throw new InvalidOperationException($"{BootLoaders.GptMbr} is {code.Length} bytes; MBR boot code must fit in 440");
        using var raw = new FileStream(rawPath, FileMode.Open, FileAccess.Write);
        raw.Write(code);
    }
}
