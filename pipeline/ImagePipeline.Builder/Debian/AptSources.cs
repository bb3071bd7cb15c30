namespace ImagePipeline.Builder.Debian;

/// <summary>
/// The Debian mirrors this host is configured to use, read from its apt sources (one-line and
/// deb822 formats) — never hard-coded. Third-party repositories on the host are left out: an
/// image is built from Debian's archive only.
/// </summary>
public static class AptSources
{
    public const string SnapshotHost = "http://snapshot.debian.org/archive";

    /// <summary>One <c>deb URI SUITE main</c> line per archive (main, updates, security) for <paramref name="suite"/>.</summary>
    public static IReadOnlyList<string> ForSuite(string suite, string? snapshot, string sourcesRoot = "/etc/apt")
    {
        if (snapshot is not null)
        {
            return
            [
                $"deb {SnapshotHost}/debian/{snapshot} {suite} main",
                $"deb {SnapshotHost}/debian/{snapshot} {suite}-updates main",
                $"deb {SnapshotHost}/debian-security/{snapshot} {suite}-security main",
            ];
        }

        var entries = ReadHostEntries(sourcesRoot).Where(e => IsDebianArchive(e.Uri)).ToList();
        var archive = entries.FirstOrDefault(e => !e.Uri.TrimEnd('/').EndsWith("-security", StringComparison.Ordinal))?.Uri;
        var security = entries.FirstOrDefault(e => e.Uri.TrimEnd('/').EndsWith("-security", StringComparison.Ordinal))?.Uri;
        if (archive is null)
        {
            throw new InvalidOperationException(
                $"no Debian archive is configured in {sourcesRoot}/sources.list or {sourcesRoot}/sources.list.d; " +
                "add one (for example 'deb http://deb.debian.org/debian bookworm main') or pin 'snapshot:' in the recipe");
        }

        var lines = new List<string> { $"deb {archive} {suite} main", $"deb {archive} {suite}-updates main" };
        if (security is not null)
            lines.Add($"deb {security} {suite}-security main");
        return lines;
    }

    private static bool IsDebianArchive(string uri)
    {
        var path = uri.TrimEnd('/');
        return path.EndsWith("/debian", StringComparison.Ordinal) || path.EndsWith("/debian-security", StringComparison.Ordinal);
    }

    private sealed record Entry(string Uri);

    private static IEnumerable<Entry> ReadHostEntries(string root)
    {
        var files = new List<string>();
        if (File.Exists(Path.Combine(root, "sources.list")))
            files.Add(Path.Combine(root, "sources.list"));
        var dir = Path.Combine(root, "sources.list.d");
        if (Directory.Exists(dir))
            files.AddRange(Directory.EnumerateFiles(dir).Where(f => f.EndsWith(".list", StringComparison.Ordinal) || f.EndsWith(".sources", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            var entries = file.EndsWith(".sources", StringComparison.Ordinal) || text.Contains("URIs:", StringComparison.Ordinal)
                ? ParseDeb822(text)
                : ParseOneLine(text);
            foreach (var entry in entries)
                yield return entry;
        }
    }

    private static IEnumerable<Entry> ParseOneLine(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Split('#')[0].Trim();
            if (!line.StartsWith("deb ", StringComparison.Ordinal))
                continue;
            // deb [options] uri suite components...
            var rest = line[4..].Trim();
            if (rest.StartsWith('['))
                rest = rest[(rest.IndexOf(']', StringComparison.Ordinal) + 1)..].Trim();
            var uri = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            if (uri is not null)
                yield return new Entry(uri);
        }
    }

    private static IEnumerable<Entry> ParseDeb822(string text)
    {
        foreach (var stanza in text.Split("\n\n"))
        {
            var fields = stanza.Split('\n')
                .Where(l => !l.StartsWith('#') && l.Contains(':', StringComparison.Ordinal))
                .Select(l => (Key: l[..l.IndexOf(':', StringComparison.Ordinal)].Trim(), Value: l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))
                .GroupBy(f => f.Key, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.First().Value, StringComparer.OrdinalIgnoreCase);
            if (!fields.TryGetValue("Types", out var types) || !types.Split(' ').Contains("deb"))
                continue;
            if (fields.TryGetValue("Enabled", out var enabled) && enabled == "no")
                continue;
            if (fields.TryGetValue("URIs", out var uris))
            {
                foreach (var uri in uris.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    yield return new Entry(uri);
            }
        }
    }
}
