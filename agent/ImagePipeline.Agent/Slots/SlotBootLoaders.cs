using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Agent.Slots;

/// <summary>
/// The slots' side of a mounted ESP (<see cref="SlotBoot"/>): each slot's kernel, initrd and
/// command line, systemd-boot's entries and SYSLINUX's configuration and boot-once label, kept in
/// the same state so either firmware boots the same slot. Every file is written beside its place
/// and renamed over it, and synced, so a power cut leaves the old file or the new one.
/// </summary>
public sealed class SlotBootLoaders(string esp)
{
    private string Entries => Path.Combine(esp, "loader", "entries");
    private string SyslinuxConfig => Path.Combine(esp, "syslinux.cfg");
    private string Loader => Path.Combine(esp, SyslinuxBootOnce.LoaderFile);

    /// <summary>The ESP boots through systemd-boot (the image was built for UEFI).</summary>
    public bool HasSystemdBoot => Directory.Exists(Entries);

    /// <summary>The ESP boots through SYSLINUX (the image was built for BIOS).</summary>
    public bool HasSyslinux => File.Exists(SyslinuxConfig) && File.Exists(Loader);

    /// <summary>The slot's command line as the ESP has it, or null when the slot has none installed.</summary>
    public string? CommandLine(string slot)
    {
        var path = Path.Combine(esp, SlotBoot.EspDirectory(slot), SlotBoot.CommandLineFile);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    /// <summary>Takes a slot out of both boot loaders and removes its files: done before its partition is written.</summary>
    public void Remove(string slot, string goodSlot)
    {
        foreach (var entry in EntryFiles().Where(e => e.Slot == slot))
            File.Delete(entry.Path);
        var directory = Path.Combine(esp, SlotBoot.EspDirectory(slot));
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
        if (HasSyslinux)
        {
            SyslinuxBootOnce.Write(Loader, null);
            WriteSyslinuxConfig(goodSlot);
        }

        Sync();
    }

    /// <summary>Copies the slot's kernel and initrd to its directory and writes its command line.</summary>
    public void Install(string slot, string kernel, string initrd, string commandLine)
    {
        var directory = Directory.CreateDirectory(Path.Combine(esp, SlotBoot.EspDirectory(slot))).FullName;
        CopyReplacing(kernel, Path.Combine(directory, SlotBoot.KernelFile));
        CopyReplacing(initrd, Path.Combine(directory, SlotBoot.InitrdFile));
        WriteReplacing(Path.Combine(directory, SlotBoot.CommandLineFile), commandLine + "\n");
        Sync();
    }

    /// <summary>
    /// Arms one trial boot of <paramref name="slot"/>: a systemd-boot entry of the next generation
    /// with one try, and SYSLINUX's boot-once label; <paramref name="goodSlot"/> stays SYSLINUX's
    /// default and systemd-boot's choice once the try is spent.
    /// </summary>
    public void ArmTrial(string slot, string goodSlot, string title)
    {
        var commandLine = CommandLine(slot) ?? throw new InvalidOperationException($"slot {slot} has no command line on the ESP; install it first");
        if (HasSystemdBoot)
        {
            var generation = EntryFiles().Select(e => e.Generation).DefaultIfEmpty(0).Max() + 1;
            WriteReplacing(Path.Combine(Entries, SlotBoot.EntryFileName(generation, slot, triesLeft: 1)), SlotBoot.Entry(title, slot, commandLine));
        }

        if (HasSyslinux)
        {
            WriteSyslinuxConfig(goodSlot);
            SyslinuxBootOnce.Write(Loader, slot);
        }

        Sync();
    }

    /// <summary>Makes <paramref name="slot"/> the one both boot loaders boot from now on: its entry loses its counter, SYSLINUX's default becomes it.</summary>
    public void MarkGood(string slot)
    {
        if (HasSystemdBoot)
        {
            foreach (var entry in EntryFiles().Where(e => e.Slot == slot && e.TriesLeft is not null))
            {
                var good = Path.Combine(Entries, SlotBoot.EntryFileName(entry.Generation, slot));
                File.Move(entry.Path, good, overwrite: true);
            }
        }

        if (HasSyslinux)
        {
            SyslinuxBootOnce.Write(Loader, null);
            WriteSyslinuxConfig(slot);
        }

        Sync();
    }

    /// <summary>The slot a trial boot of which was armed or spent and never marked good, if any: systemd-boot's entry with a counter, or SYSLINUX's boot-once label.</summary>
    public string? UnconfirmedTrial()
    {
        if (HasSystemdBoot && EntryFiles().FirstOrDefault(e => e.TriesLeft is not null) is { } entry)
            return entry.Slot;
        return HasSyslinux ? SyslinuxBootOnce.Read(Loader) : null;
    }

    /// <summary>The systemd-boot entries of the slots, newest generation first.</summary>
    public IReadOnlyList<(string Path, int Generation, string Slot, int? TriesLeft)> EntryFiles() =>
        !Directory.Exists(Entries) ? []
        : Directory.EnumerateFiles(Entries, SlotBoot.EntryPrefix + "*.conf")
            .Select(path => (path, parsed: SlotBoot.ParseEntryFileName(Path.GetFileName(path))))
            .Where(e => e.parsed is not null)
            .Select(e => (e.path, e.parsed!.Value.Generation, e.parsed.Value.Slot, e.parsed.Value.TriesLeft))
            .OrderByDescending(e => e.Generation)
            .ToList();

    private void WriteSyslinuxConfig(string defaultSlot)
    {
        var lines = SlotBoot.Slots.Select(s => (s, line: CommandLine(s))).Where(s => s.line is not null).ToDictionary(s => s.s, s => s.line!);
        WriteReplacing(SyslinuxConfig, SlotBoot.SyslinuxConfig(defaultSlot, lines));
    }

    private static void WriteReplacing(string path, string content)
    {
        var temporary = path + ".new";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            file.Write(System.Text.Encoding.UTF8.GetBytes(content));
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static void CopyReplacing(string source, string path)
    {
        var temporary = path + ".new";
        using (var from = File.OpenRead(source))
        using (var to = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            from.CopyTo(to);
            to.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Renames on FAT are durable only once the file system's metadata is written back.</summary>
    private static void Sync() => Mounts.Sync();
}
