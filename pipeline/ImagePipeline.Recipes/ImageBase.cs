namespace ImagePipeline.Recipes;

public enum BaseKind
{
    /// <summary>A Debian system installed by mmdebstrap (minbase, systemd).</summary>
    Debian,
    /// <summary>A tiny image: a Debian kernel and a busybox userland, no package manager.</summary>
    Busybox,
}

/// <summary>What the root filesystem starts from: <c>debian:bookworm</c> or <c>busybox</c>.</summary>
public sealed record ImageBase(BaseKind Kind, string Suite)
{
    public const string DefaultSuite = "bookworm";

    /// <summary>
    /// Debian's generic kernel for both bases: it has drivers for every disk bus and NIC in the
    /// hardware catalogue. The cloud kernel is smaller but has no AHCI, e1000 or rtl8139 driver.
    /// </summary>
    public const string DefaultKernel = "linux-image-amd64";

    public override string ToString() => Kind == BaseKind.Busybox ? $"busybox:{Suite}" : $"debian:{Suite}";

    public static bool TryParse(string text, out ImageBase? imageBase)
    {
        imageBase = null;
        var parts = text.Split(':', 2);
        var suite = parts.Length == 2 ? parts[1] : DefaultSuite;
        if (suite.Length == 0 || !suite.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            return false;
        imageBase = parts[0] switch
        {
            "debian" => new ImageBase(BaseKind.Debian, suite),
            "busybox" => new ImageBase(BaseKind.Busybox, suite),
            _ => null,
        };
        return imageBase is not null;
    }
}
