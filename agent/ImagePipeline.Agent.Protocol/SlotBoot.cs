using System.Globalization;
using System.Text;

namespace ImagePipeline.Agent.Protocol;

/// <summary>
/// The A/B root slots of an image built with <c>disk: { slots: ab }</c>: what the builder lays
/// down and the in-image agent keeps up. Each slot has a root partition (<c>root-a</c>,
/// <c>root-b</c>) and, on the shared ESP, its own kernel, initrd and command line
/// (<c>/a/vmlinuz</c>, <c>/a/initrd.img</c>, <c>/a/cmdline</c>). Both boot loaders are kept in the
/// same state, whichever the firmware uses:
/// <list type="bullet">
/// <item>UEFI, systemd-boot: one entry per slot, <c>loader/entries/imagepipeline-G-S.conf</c>; the
/// highest generation G sorts first and boots. A slot on trial has a boot counter
/// (<c>imagepipeline-G-S+1.conf</c>): systemd-boot counts the try down before booting it, and an
/// entry with no tries left sorts last, so the next boot takes the other slot (boot assessment,
/// the Boot Loader Specification's "automatic boot assessment").</item>
/// <item>BIOS, SYSLINUX: <c>DEFAULT</c> is the good slot; a slot on trial is armed as SYSLINUX's
/// boot-once label in its auxiliary data vector, which ldlinux clears before it boots it.</item>
/// </list>
/// So a trial boots once; unless the new system marks itself good, any later boot — a panic's
/// reboot, a power cut — is the old slot, with no network and no one's help.
/// </summary>
public static class SlotBoot
{
    /// <summary>The kernel argument naming the slot a system was booted from.</summary>
    public const string SlotArgument = "imagepipeline.slot";

    public static readonly IReadOnlyList<string> Slots = ["a", "b"];

    /// <summary>In every slotted root: how to boot it (<see cref="SlotBootSpec"/>).</summary>
    public const string SpecPath = "usr/lib/imagepipeline/slot-boot.json";

    /// <summary>In <see cref="SlotBootSpec.CommandLine"/>: the slot's root partition, its PARTUUID on the machine.</summary>
    public const string RootPlaceholder = "{root}";

    /// <summary>In <see cref="SlotBootSpec.CommandLine"/>: the machine's /var partition's PARTUUID.</summary>
    public const string VarPlaceholder = "{var}";

    /// <summary>In <see cref="SlotBootSpec.CommandLine"/>: the slot's name.</summary>
    public const string SlotPlaceholder = "{slot}";

    public const string EntryPrefix = "imagepipeline-";

    public static string RootPartition(string slot) => "root-" + slot;

    public static string Other(string slot) => slot == "a" ? "b" : "a";

    /// <summary>The slot's directory on the ESP, for its kernel, initrd and command line.</summary>
    public static string EspDirectory(string slot) => slot;

    public const string KernelFile = "vmlinuz";
    public const string InitrdFile = "initrd.img";
    public const string CommandLineFile = "cmdline";

    /// <summary>The slot's command line with the machine's partitions filled in.</summary>
    public static string CommandLine(string template, string slot, Guid rootPartition, Guid? varPartition)
    {
        if (template.Contains(VarPlaceholder, StringComparison.Ordinal) && varPartition is null)
            throw new InvalidOperationException("the image's command line names a /var partition but the disk has none");
        return template.Replace(RootPlaceholder, rootPartition.ToString("D"), StringComparison.Ordinal)
            .Replace(VarPlaceholder, varPartition?.ToString("D") ?? "", StringComparison.Ordinal)
            .Replace(SlotPlaceholder, slot, StringComparison.Ordinal);
    }

    /// <summary>systemd-boot's entry file name for a slot: with <paramref name="triesLeft"/>, on trial.</summary>
    public static string EntryFileName(int generation, string slot, int? triesLeft = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{EntryPrefix}{generation}-{slot}{(triesLeft is { } tries ? $"+{tries}" : "")}.conf");

    /// <summary>An entry file name read back: generation, slot, tries left (null without a counter), tries done.</summary>
    public static (int Generation, string Slot, int? TriesLeft, int TriesDone)? ParseEntryFileName(string fileName)
    {
        if (!fileName.StartsWith(EntryPrefix, StringComparison.Ordinal) || !fileName.EndsWith(".conf", StringComparison.Ordinal))
            return null;
        var name = fileName[EntryPrefix.Length..^".conf".Length];
        int? left = null;
        var done = 0;
        var plus = name.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            var counter = name[(plus + 1)..].Split('-');
            if (counter.Length is < 1 or > 2 || !int.TryParse(counter[0], CultureInfo.InvariantCulture, out var l)
                || (counter.Length == 2 && !int.TryParse(counter[1], CultureInfo.InvariantCulture, out done)))
                return null;
            left = l;
            name = name[..plus];
        }

        var dash = name.LastIndexOf('-');
        if (dash <= 0 || !int.TryParse(name[..dash], CultureInfo.InvariantCulture, out var generation) || !Slots.Contains(name[(dash + 1)..]))
            return null;
        return (generation, name[(dash + 1)..], left, done);
    }

    public static string Entry(string title, string slot, string commandLine) =>
        $"title {title} ({slot})\nlinux /{EspDirectory(slot)}/{KernelFile}\ninitrd /{EspDirectory(slot)}/{InitrdFile}\noptions {commandLine}\n";

    /// <summary>No <c>default</c>: the first entry in systemd-boot's order boots, and a bad one sorts last.</summary>
    public const string LoaderConf = "timeout 0\neditor no\nconsole-mode keep\n";

    /// <summary>SYSLINUX's configuration: a label per slot that has a command line, <paramref name="defaultSlot"/> booted unless a boot-once label says otherwise.</summary>
    public static string SyslinuxConfig(string defaultSlot, IReadOnlyDictionary<string, string> commandLines)
    {
        var config = new StringBuilder($"SERIAL 0 115200\nPROMPT 0\nTIMEOUT 0\nDEFAULT {defaultSlot}\n");
        foreach (var slot in Slots.Where(commandLines.ContainsKey))
            config.Append($"LABEL {slot}\n  LINUX /{EspDirectory(slot)}/{KernelFile}\n  INITRD /{EspDirectory(slot)}/{InitrdFile}\n  APPEND {commandLines[slot]}\n");
        return config.ToString();
    }
}

/// <summary>
/// How to boot a slotted root, written by the builder into the root itself
/// (<see cref="SlotBoot.SpecPath"/>), so the agent that puts the root into a slot takes the kernel,
/// initrd and command line from the verified image, not from anyone on the network.
/// </summary>
/// <param name="Kernel">the kernel's path in the root, for example <c>boot/vmlinuz-6.1.0-28-cloud-amd64</c></param>
/// <param name="Initrd">the initrd's path in the root</param>
/// <param name="CommandLine">the command line, with <see cref="SlotBoot.RootPlaceholder"/>, <see cref="SlotBoot.SlotPlaceholder"/> and maybe <see cref="SlotBoot.VarPlaceholder"/></param>
public sealed record SlotBootSpec(string Kernel, string Initrd, string CommandLine);
