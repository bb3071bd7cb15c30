namespace ImagePipeline.Builder.Debian;

/// <summary>Installed packages read from dpkg's status file (deb822 stanzas), the image's SBOM.</summary>
public static class DpkgStatus
{
    public sealed record InstalledPackage(string Name, string Version, string Architecture);

    public static IReadOnlyList<InstalledPackage> Parse(string status)
    {
        var result = new List<InstalledPackage>();
        foreach (var stanza in status.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null, version = null, arch = null, state = null;
            foreach (var line in stanza.Split('\n'))
            {
                if (line.StartsWith("Package: ", StringComparison.Ordinal)) name = line[9..].Trim();
                else if (line.StartsWith("Version: ", StringComparison.Ordinal)) version = line[9..].Trim();
                else if (line.StartsWith("Architecture: ", StringComparison.Ordinal)) arch = line[14..].Trim();
                else if (line.StartsWith("Status: ", StringComparison.Ordinal)) state = line[8..].Trim();
            }

            if (name is not null && version is not null && state is not null && state.EndsWith(" installed", StringComparison.Ordinal))
                result.Add(new InstalledPackage(name, version, arch ?? ""));
        }

        return result.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
    }
}
