namespace ImagePipeline.BootService.Files;

/// <summary>
/// The files machines boot from, looked up in order: the service's own file root (deploy
/// environment kernel and initramfs) and then Debian's iPXE binaries (/usr/lib/ipxe, package ipxe).
/// TFTP and the HTTP /files/ path serve the same set.
/// </summary>
public sealed class BootFiles
{
    public const string DebianIpxeDirectory = "/usr/lib/ipxe";

    private readonly IReadOnlyList<FileJail> jails;

    public BootFiles(IEnumerable<string> roots)
    {
        jails = [.. roots.Where(Directory.Exists).Select(r => new FileJail(r))];
        if (jails.Count == 0)
            throw new DirectoryNotFoundException($"none of the boot file roots exist ({string.Join(", ", roots)}); install Debian's ipxe package (apt-get install ipxe)");
    }

    public IReadOnlyList<string> Roots => [.. jails.Select(j => j.Root)];

    /// <summary>The first root holding the file wins; a refusal in any root ends the lookup.</summary>
    public FileLookup Resolve(string requested)
    {
        foreach (var jail in jails)
        {
            var lookup = jail.Resolve(requested);
            if (lookup.IsRefused || lookup.File is not null)
                return lookup;
        }

        return FileLookup.Missing();
    }
}
