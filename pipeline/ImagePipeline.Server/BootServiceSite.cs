namespace ImagePipeline.Server;

/// <summary>
/// A boot service the server drives machines through: a site's own (<c>--site NAME=URL</c>), for
/// the machines registered at that site, or the default one (<c>--boot-service</c>, <see cref="Site"/>
/// null) for every other machine.
/// </summary>
/// <param name="Token">its operator API's admin token</param>
public sealed record BootServiceSite(string? Site, Uri Url, string? Token)
{
    public override string ToString() => Site is null ? $"the boot service {Url}" : $"site {Site}'s boot service {Url}";
}
