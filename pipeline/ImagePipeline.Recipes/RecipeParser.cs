using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ImagePipeline.Recipes;

/// <summary>
/// Reads and lints a recipe. The YAML is walked node by node (not deserialised) so that every
/// error carries the line and column of the offending node; all errors are collected before
/// failing, so an operator fixes a recipe in one round.
/// </summary>
public static partial class RecipeParser
{
    private static readonly string[] TopLevelFields =
        ["name", "base", "kernel", "packages", "files", "commands", "cmdline", "disk", "boot", "formats", "snapshot", "validate", "rollout"];
    private static readonly string[] FileFields = ["path", "content", "source", "mode"];
    private static readonly string[] DiskFields = ["size", "root", "esp", "grow", "verity", "var", "slots"];
    private static readonly string[] ValidateFields = ["profiles", "smoke", "checks", "retries", "ready", "timeout"];

    /// <summary>The largest recipe read (a recipe is a page of YAML; its big files are <c>source:</c> files beside it).</summary>
    public const int MaxBytes = 256 * 1024;

    /// <summary>The deepest nesting of mappings and sequences a recipe may have (its own schema needs five).</summary>
    public const int MaxDepth = 32;

    /// <summary>
    /// Parses and lints <paramref name="path"/>; throws <see cref="RecipeLintException"/> with every
    /// problem found. <c>source:</c> files must lie inside <paramref name="repositoryRoot"/>: by
    /// default the git work tree holding the recipe, or the recipe's own directory outside git.
    /// </summary>
    public static Recipe Load(string path, string? repositoryRoot = null)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
            throw new RecipeLintException([new RecipeError(path, 1, 1, $"recipe file not found; check the path ({fullPath})")]);
        if (new FileInfo(fullPath).Length > MaxBytes)
            throw new RecipeLintException([new RecipeError(fullPath, 1, 1, $"the recipe is {new FileInfo(fullPath).Length} bytes; at most {MaxBytes} are read: move large content into files: entries with source:")]);
        var bytes = File.ReadAllBytes(fullPath);
        return Parse(System.Text.Encoding.UTF8.GetString(bytes), fullPath, Convert.ToHexStringLower(SHA256.HashData(bytes)), repositoryRoot);
    }

    /// <summary>Parses recipe text as if it were the file <paramref name="sourcePath"/> (sources resolve next to it, inside <paramref name="repositoryRoot"/>).</summary>
    public static Recipe Parse(string yaml, string sourcePath, string? sourceDigest = null, string? repositoryRoot = null)
    {
        sourceDigest ??= Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(yaml)));
        var context = new Context(sourcePath, Path.GetFullPath(repositoryRoot ?? RepositoryRootOf(sourcePath)));
        if (yaml.Length > MaxBytes)
            throw new RecipeLintException([new RecipeError(sourcePath, 1, 1, $"the recipe is {yaml.Length} characters; at most {MaxBytes} are read: move large content into files: entries with source:")]);
        var stream = new YamlStream();
        try
        {
            CheckDepth(yaml, sourcePath);
            using var reader = new StringReader(yaml);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new RecipeLintException([new RecipeError(sourcePath, (int)e.Start.Line, (int)e.Start.Column,
                $"not valid YAML: {e.InnerException?.Message ?? e.Message}")]);
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var at = stream.Documents.Count > 0 ? stream.Documents[0].RootNode.Start : Mark.Empty;
            throw new RecipeLintException([new RecipeError(sourcePath, Math.Max(1, (int)at.Line), Math.Max(1, (int)at.Column),
                "a recipe is one YAML mapping with at least 'name:' and 'base:'")]);
        }

        var recipe = ReadRecipe(root, context, sourceDigest);
        if (context.Errors.Count > 0)
            throw new RecipeLintException(context.Errors);
        return recipe!;
    }

    /// <summary>
    /// The nesting, counted on the parser's events before any tree is built (building one
    /// recurses: ten thousand '[' would end the process with a stack overflow, not a lint error).
    /// </summary>
    private static void CheckDepth(string yaml, string sourcePath)
    {
        var parser = new YamlDotNet.Core.Parser(new StringReader(yaml));
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart when ++depth > MaxDepth:
                    throw new RecipeLintException([new RecipeError(sourcePath, (int)parser.Current.Start.Line, (int)parser.Current.Start.Column,
                        $"nested deeper than {MaxDepth} mappings and lists; a recipe needs a handful")]);
                case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                    depth--;
                    break;
            }
        }
    }

    private static Recipe? ReadRecipe(YamlMappingNode root, Context context, string sourceDigest)
    {
        var fields = context.Fields(root, TopLevelFields, "the recipe");

        var name = context.Scalar(fields, "name", root, required: true);
        if (name is not null && !NamePattern().IsMatch(name.Value))
            context.Error(name.Node, $"name '{name.Value}' is not allowed: use 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit (for example 'web-frontend')");

        var baseText = context.Scalar(fields, "base", root, required: true);
        ImageBase? imageBase = null;
        if (baseText is not null && !ImageBase.TryParse(baseText.Value, out imageBase))
            context.Error(baseText.Node, $"base '{baseText.Value}' is unknown: use 'debian:SUITE' (for example 'debian:bookworm') or 'busybox'");

        var kernel = context.Scalar(fields, "kernel", root);
        if (kernel is not null && !PackagePattern().IsMatch(kernel.Value))
            context.Error(kernel.Node, $"kernel '{kernel.Value}' is not a Debian package name: use for example 'linux-image-amd64' or 'linux-image-cloud-amd64'");

        var packages = context.ScalarList(fields, "packages");
        foreach (var package in packages.Where(p => !PackagePattern().IsMatch(p.Value)))
            context.Error(package.Node, $"'{package.Value}' is not a Debian package name: use lower-case letters, digits and '+-.', for example 'openssh-server'");

        var files = ReadFiles(fields, context);
        var commands = context.ScalarList(fields, "commands").Select(c => c.Value).ToList();
        var cmdline = context.Scalar(fields, "cmdline", root)?.Value ?? "";
        if (cmdline.Contains('\n', StringComparison.Ordinal))
            context.Error(fields["cmdline"], "cmdline must be one line of kernel arguments separated by spaces");

        var disk = ReadDisk(fields, context);
        if (disk is not null && imageBase?.Kind == BaseKind.Busybox && (disk.Root == RootFilesystem.Erofs || disk.Verity || disk.VarPartition))
        {
            // The busybox initramfs mounts ext4 or squashfs and knows nothing of dm-verity or a /var partition.
            var asked = disk.Verity ? "verity: true" : disk.Root == RootFilesystem.Erofs ? "root: erofs" : "a var: partition";
            context.Error(fields["disk"], $"{asked} needs a debian base (its initramfs-tools sets up the read-only root); use root: squashfs without verity or var: with busybox");
        }
        var boot = ReadBoot(fields, context);
        var formats = ReadFormats(fields, context);

        var snapshot = context.Scalar(fields, "snapshot", root);
        if (snapshot is not null && !SnapshotPattern().IsMatch(snapshot.Value))
            context.Error(snapshot.Node, $"snapshot '{snapshot.Value}' is not a snapshot.debian.org timestamp: use the form 20250520T000000Z");

        var validate = context.Mapping(fields, "validate");
        if (validate is not null)
            context.Fields(validate, ValidateFields, "validate");
        var rollout = context.Mapping(fields, "rollout");

        if (name is null || imageBase is null)
            return null;
        return new Recipe
        {
            Name = name.Value,
            Base = imageBase,
            Kernel = kernel?.Value ?? ImageBase.DefaultKernel,
            Packages = packages.Select(p => p.Value).ToList(),
            Files = files,
            Commands = commands,
            Cmdline = cmdline.Trim(),
            Disk = disk ?? new DiskSpec(2L << 30, RootFilesystem.Ext4, DiskSpec.DefaultEspBytes, false),
            Boot = boot,
            Formats = formats,
            Snapshot = snapshot?.Value,
            Validate = validate is null ? null : new RecipeSection(validate, context.SourcePath),
            Rollout = rollout is null ? null : new RecipeSection(rollout, context.SourcePath),
            SourcePath = context.SourcePath,
            SourceDigest = sourceDigest,
        };
    }

    private static List<RecipeFile> ReadFiles(Dictionary<string, YamlNode> fields, Context context)
    {
        var result = new List<RecipeFile>();
        if (!fields.TryGetValue("files", out var node))
            return result;
        if (node is not YamlSequenceNode sequence)
        {
            context.Error(node, "files must be a list of entries like '- path: /etc/motd' with 'content:' or 'source:'");
            return result;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in sequence)
        {
            if (item is not YamlMappingNode entry)
            {
                context.Error(item, "each files entry is a mapping with 'path:' and either 'content:' or 'source:'");
                continue;
            }

            var entryFields = context.Fields(entry, FileFields, "a files entry");
            var path = context.Scalar(entryFields, "path", entry, required: true);
            var content = context.Scalar(entryFields, "content", entry);
            var source = context.Scalar(entryFields, "source", entry);
            var modeText = context.Scalar(entryFields, "mode", entry);

            if (path is not null && !IsSafeImagePath(path.Value))
                context.Error(path.Node, $"path '{path.Value}' must be absolute inside the image, without '..' or '//' (for example /etc/motd)");
            else if (path is not null && !seen.Add(path.Value))
                context.Error(path.Node, $"path '{path.Value}' is listed twice: keep one entry per file");

            if (content is null == (source is null))
                context.Error(entry, "give a files entry exactly one of 'content:' (inline text) or 'source:' (a file next to the recipe)");

            string? sourcePath = null;
            if (source is not null)
                sourcePath = ResolveSource(source, context);

            var mode = 0b110_100_100; // 0644
            if (modeText is not null)
            {
                if (!ModePattern().IsMatch(modeText.Value))
                    context.Error(modeText.Node, $"mode '{modeText.Value}' is not an octal file mode: quote it, for example mode: \"0755\"");
                else
                    mode = Convert.ToInt32(modeText.Value, 8);
            }

            if (path is not null)
                result.Add(new RecipeFile(path.Value, content?.Value, sourcePath, mode, sourcePath is null ? null : context.RepositoryRoot));
        }

        return result;
    }

    /// <summary>
    /// A source is a path relative to the recipe that stays inside the repository: an absolute
    /// path, '..' out of it or a symlink out of it would copy the build server's own files (its
    /// signing key) into an image. The check opens the file as the build will (confined by the
    /// kernel), so what lints is what is read.
    /// </summary>
    private static string? ResolveSource(Positioned source, Context context)
    {
        if (source.Value.StartsWith('/'))
        {
            context.Error(source.Node, $"source '{source.Value}' is absolute; give a path relative to the recipe file, inside its repository ({context.RepositoryRoot})");
            return null;
        }

        var sourcePath = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(context.SourcePath))!, source.Value));
        var relative = Path.GetRelativePath(context.RepositoryRoot, sourcePath);
        if (relative == ".." || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            context.Error(source.Node, $"source '{source.Value}' leads outside the recipe's repository ({context.RepositoryRoot}); keep source files inside it");
            return null;
        }

        if (!File.Exists(sourcePath) && !Directory.Exists(sourcePath) && new FileInfo(sourcePath).LinkTarget is null)
        {
            context.Error(source.Node, $"source file '{source.Value}' does not exist (looked for {sourcePath}); paths are relative to the recipe file");
            return null;
        }

        try
        {
            using var stream = ConfinedFile.OpenRead(context.RepositoryRoot, relative, ConfinedResolve.Beneath);
            if (stream.Length > RecipeFile.MaxSourceBytes)
                context.Error(source.Node, $"source file '{source.Value}' is {stream.Length} bytes; at most {RecipeFile.MaxSourceBytes} are copied into an image");
        }
        catch (IOException e)
        {
            context.Error(source.Node, $"source '{source.Value}' cannot be used: {e.Message}");
            return null;
        }
        catch (UnauthorizedAccessException e)
        {
            context.Error(source.Node, $"source '{source.Value}' cannot be read: {e.Message}");
            return null;
        }

        return sourcePath;
    }

    /// <summary>The git work tree holding the recipe (the nearest directory with a .git), or else the recipe's own directory.</summary>
    private static string RepositoryRootOf(string sourcePath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(sourcePath))!;
        for (var current = directory; current is not null; current = Path.GetDirectoryName(current))
        {
            if (Directory.Exists(Path.Combine(current, ".git")) || File.Exists(Path.Combine(current, ".git")))
                return current;
        }

        return directory;
    }

    private static DiskSpec? ReadDisk(Dictionary<string, YamlNode> fields, Context context)
    {
        var node = context.Mapping(fields, "disk");
        if (node is null)
            return null;
        var diskFields = context.Fields(node, DiskFields, "disk");
        var size = 2L << 30;
        var esp = DiskSpec.DefaultEspBytes;
        var root = RootFilesystem.Ext4;
        var grow = false;

        var sizeText = context.Scalar(diskFields, "size", node);
        if (sizeText is not null)
            size = context.Size(sizeText, "disk size") ?? size;
        var espText = context.Scalar(diskFields, "esp", node);
        if (espText is not null)
        {
            esp = context.Size(espText, "ESP size") ?? esp;
            if (esp < DiskSpec.MinimumEspBytes)
                context.Error(espText.Node, $"the ESP must be at least {ByteSize.Format(DiskSpec.MinimumEspBytes)} for FAT32; raise disk.esp");
        }

        var rootText = context.Scalar(diskFields, "root", node);
        if (rootText is not null)
        {
            root = rootText.Value switch
            {
                "ext4" => RootFilesystem.Ext4,
                "squashfs" => RootFilesystem.Squashfs,
                "erofs" => RootFilesystem.Erofs,
                _ => RootFilesystem.Ext4,
            };
            if (rootText.Value is not ("ext4" or "squashfs" or "erofs"))
                context.Error(rootText.Node, $"root filesystem '{rootText.Value}' is unknown: use 'ext4', or 'squashfs' or 'erofs' for a read-only root");
        }

        var growText = context.Scalar(diskFields, "grow", node);
        if (growText is not null && !bool.TryParse(growText.Value, out grow))
            context.Error(growText.Node, $"grow must be true or false (grow the root partition to the end of the target disk at deploy)");
        else if (grow && root != RootFilesystem.Ext4)
            context.Error(growText!.Node, $"grow: true needs root: ext4; a {rootText!.Value} root is read-only and cannot grow into a larger disk");

        var verity = false;
        var verityText = context.Scalar(diskFields, "verity", node);
        if (verityText is not null && !bool.TryParse(verityText.Value, out verity))
            context.Error(verityText.Node, $"verity must be true or false (dm-verity checks every block of a read-only root)");
        else if (verity && root == RootFilesystem.Ext4)
            context.Error(verityText!.Node, "verity: true needs a read-only root: set root: squashfs or root: erofs");

        long varSize = 0;
        var varText = context.Scalar(diskFields, "var", node);
        if (varText is not null)
        {
            varSize = varText.Value == "tmpfs" ? 0 : context.Size(varText, "/var partition size") ?? 0;
            if (root == RootFilesystem.Ext4)
                context.Error(varText.Node, "var: needs a read-only root (an ext4 root keeps /var on itself): set root: squashfs or root: erofs, or remove var:");
            else if (varText.Value != "tmpfs" && varSize < DiskSpec.MinimumVarBytes)
                context.Error(varText.Node, $"var: is 'tmpfs' (the default: /var starts afresh at every boot) or the size of a /var partition that keeps its data, at least {ByteSize.Format(DiskSpec.MinimumVarBytes)}");
        }

        var slots = false;
        var slotsText = context.Scalar(diskFields, "slots", node);
        if (slotsText is not null)
        {
            slots = slotsText.Value == "ab";
            if (slotsText.Value is not ("ab" or "single"))
                context.Error(slotsText.Node, $"slots: '{slotsText.Value}' is unknown: use 'ab' (two root slots, for in-place updates) or 'single' (the default)");
            else if (slots && verity)
                context.Error(slotsText.Node, "slots: ab does not work with verity: true yet (the agent would have to carry a new root hash into the other slot's command line); choose one of them");
            else if (slots && grow)
                context.Error(slotsText.Node, "slots: ab cannot grow: true (slot B follows slot A, so neither can grow into a larger disk); remove grow: or slots:");
        }

        var rootShare = slots ? 2 * DiskSpec.MinimumRootBytes : DiskSpec.MinimumRootBytes;
        if (size > DiskSpec.MaximumDiskBytes)
            context.Error(sizeText!.Node, $"disk size {ByteSize.Format(size)} is larger than the {ByteSize.Format(DiskSpec.MaximumDiskBytes)} this builder writes; choose a smaller size and set 'grow: true' to fill the target disk at deploy");
        else if (size < esp + varSize + DiskSpec.PartitionTableOverheadBytes + rootShare)
            context.Error(sizeText?.Node ?? node, $"disk size {ByteSize.Format(size)} cannot hold the partition table, a {ByteSize.Format(esp)} ESP{(varSize > 0 ? $", a {ByteSize.Format(varSize)} /var" : "")} and {(slots ? "two root slots" : "a root filesystem")}; use at least {ByteSize.Format(esp + varSize + DiskSpec.PartitionTableOverheadBytes + rootShare)}");

        return new DiskSpec(size, root, esp, grow, verity, varSize, slots);
    }

    private static List<BootMode> ReadBoot(Dictionary<string, YamlNode> fields, Context context)
    {
        if (!fields.TryGetValue("boot", out var bootNode))
            return [BootMode.Uefi, BootMode.Bios];
        var modes = new List<BootMode>();
        var items = context.ScalarList(fields, "boot");
        foreach (var item in items)
        {
            if (item.Value is "uefi" or "bios")
            {
                var mode = item.Value == "uefi" ? BootMode.Uefi : BootMode.Bios;
                if (!modes.Contains(mode))
                    modes.Add(mode);
            }
            else
            {
                context.Error(item.Node, $"boot mode '{item.Value}' is unknown: use 'uefi', 'bios' or both");
            }
        }

        if (modes.Count == 0 && items.Count == 0)
            context.Error(bootNode, "boot must name at least one mode: [uefi], [bios] or [uefi, bios]");
        return modes;
    }

    private static List<ExportFormat> ReadFormats(Dictionary<string, YamlNode> fields, Context context)
    {
        var formats = new List<ExportFormat>();
        foreach (var item in context.ScalarList(fields, "formats"))
        {
            if (item.Value is "raw" or "raw.zst" or "zst" or "qcow2")
                context.Error(item.Node, $"format '{item.Value}' is always made (raw, raw.zst, qcow2); list only exports: vhdx, vmdk or vhd");
            else if (item.Value switch { "vhdx" => ExportFormat.Vhdx, "vmdk" => ExportFormat.Vmdk, "vhd" => ExportFormat.Vhd, _ => (ExportFormat?)null } is { } format)
            {
                if (!formats.Contains(format))
                    formats.Add(format);
            }
            else
            {
                context.Error(item.Node, $"format '{item.Value}' is unknown: use vhdx, vmdk or vhd");
            }
        }

        return formats;
    }

    private static bool IsSafeImagePath(string path) =>
        path.StartsWith('/') && path.Length > 1 && !path.EndsWith('/') &&
        !path.Contains("//", StringComparison.Ordinal) &&
        path.Split('/').All(segment => segment is not ".." and not ".") &&
        !path.Contains('\0', StringComparison.Ordinal);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9+.-]+$")]
    private static partial Regex PackagePattern();

    [GeneratedRegex("^0?[0-7]{3,4}$")]
    private static partial Regex ModePattern();

    [GeneratedRegex("^[0-9]{8}T[0-9]{6}Z$")]
    private static partial Regex SnapshotPattern();

    private sealed record Positioned(string Value, YamlNode Node);

    /// <summary>Collects errors with positions while the recipe is walked.</summary>
    private sealed class Context(string sourcePath, string repositoryRoot)
    {
        public string SourcePath { get; } = sourcePath;
        /// <summary>The tree <c>source:</c> files must stay inside.</summary>
        public string RepositoryRoot { get; } = repositoryRoot;
        public List<RecipeError> Errors { get; } = [];

        public void Error(YamlNode node, string message) =>
            Errors.Add(new RecipeError(SourcePath, (int)node.Start.Line, (int)node.Start.Column, message));

        /// <summary>The mapping's fields by name; unknown or repeated keys are errors that suggest the nearest known field.</summary>
        public Dictionary<string, YamlNode> Fields(YamlMappingNode mapping, string[] allowed, string where)
        {
            var fields = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in mapping.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? "";
                if (!allowed.Contains(key))
                {
                    var nearest = allowed.MinBy(a => EditDistance(a, key))!;
                    var hint = EditDistance(nearest, key) <= 3 ? $"did you mean '{nearest}'? " : "";
                    Error(keyNode, $"unknown field '{key}' in {where}; {hint}allowed fields: {string.Join(", ", allowed)}");
                }
                else if (!fields.TryAdd(key, value))
                {
                    Error(keyNode, $"field '{key}' appears twice in {where}; keep one");
                }
            }

            return fields;
        }

        public Positioned? Scalar(Dictionary<string, YamlNode> fields, string name, YamlNode parent, bool required = false)
        {
            if (!fields.TryGetValue(name, out var node))
            {
                if (required)
                    Error(parent, $"missing field '{name}'");
                return null;
            }

            if (node is YamlScalarNode { Value: not null } scalar && !(scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is "" or "~" or "null"))
                return new Positioned(scalar.Value, node);
            Error(node, $"'{name}' must be a single value (text or number), not {Describe(node)}");
            return null;
        }

        public List<Positioned> ScalarList(Dictionary<string, YamlNode> fields, string name)
        {
            if (!fields.TryGetValue(name, out var node))
                return [];
            if (node is not YamlSequenceNode sequence)
            {
                Error(node, $"'{name}' must be a list, for example {name}: [a, b], not {Describe(node)}");
                return [];
            }

            var items = new List<Positioned>();
            foreach (var item in sequence)
            {
                if (item is YamlScalarNode { Value: { Length: > 0 } value })
                    items.Add(new Positioned(value, item));
                else
                    Error(item, $"each item of '{name}' must be a non-empty text value, not {Describe(item)}");
            }

            return items;
        }

        public YamlMappingNode? Mapping(Dictionary<string, YamlNode> fields, string name)
        {
            if (!fields.TryGetValue(name, out var node))
                return null;
            if (node is YamlMappingNode mapping)
                return mapping;
            Error(node, $"'{name}' must be a mapping of fields (for example {name}: {{ key: value }}), not {Describe(node)}");
            return null;
        }

        public long? Size(Positioned text, string what)
        {
            if (!ByteSize.TryParse(text.Value, out var bytes) || bytes <= 0)
            {
                Error(text.Node, $"{what} '{text.Value}' is not a size: write it like 2GiB or 512MiB");
                return null;
            }

            if (bytes % DiskSpec.MiB != 0)
            {
                Error(text.Node, $"{what} '{text.Value}' is not a whole number of MiB; round it, for example to {ByteSize.Format((bytes / DiskSpec.MiB + 1) * DiskSpec.MiB)}");
                return null;
            }

            return bytes;
        }

        private static string Describe(YamlNode node) => node switch
        {
            YamlSequenceNode => "a list",
            YamlMappingNode => "a mapping",
            _ => "an empty value",
        };

        private static int EditDistance(string a, string b)
        {
            var previous = Enumerable.Range(0, b.Length + 1).ToArray();
            for (var i = 1; i <= a.Length; i++)
            {
                var current = new int[b.Length + 1];
                current[0] = i;
                for (var j = 1; j <= b.Length; j++)
                {
                    var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                    current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                }

                previous = current;
            }

            return previous[b.Length];
        }
    }
}
