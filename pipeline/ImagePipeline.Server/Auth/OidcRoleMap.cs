namespace ImagePipeline.Server.Auth;

/// <summary>How an identity provider's groups become the server's roles (<c>--oidc-role GROUP=ROLE[+ROLE...]</c>).</summary>
public static class OidcRoleMap
{
    /// <summary>The server's roles the given groups grant, in the server's order; empty when none maps.</summary>
    public static IReadOnlyList<string> RolesFor(OidcSettings settings, IEnumerable<string> groups)
    {
        var granted = groups.SelectMany(g => settings.RoleMap.TryGetValue(g, out var roles) ? roles : []).ToHashSet(StringComparer.Ordinal);
        return [.. Roles.All.Where(granted.Contains)];
    }

    /// <summary>Parses <c>GROUP=ROLE[+ROLE...]</c> entries (repeatable <c>--oidc-role</c>); a role the server does not have is refused.</summary>
    /// <exception cref="FormatException">an entry without '=', or an unknown role</exception>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Parse(IEnumerable<string> entries)
    {
        var map = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var split = entry.LastIndexOf('=');
            if (split <= 0 || split == entry.Length - 1)
                throw new FormatException($"--oidc-role '{entry}': give GROUP=ROLE (roles joined by '+'), e.g. platform-admins=admin or release-managers=approver+operator");
            var roles = entry[(split + 1)..].Split('+', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(r => r.ToLowerInvariant()).ToList();
            if (roles.FirstOrDefault(r => !Roles.All.Contains(r)) is { } unknown)
                throw new FormatException($"--oidc-role '{entry}': no role '{unknown}'; the roles are {string.Join(", ", Roles.All)}");
            var group = entry[..split].Trim();
            map[group] = [.. (map.GetValueOrDefault(group) ?? []).Concat(roles).Distinct(StringComparer.Ordinal)];
        }

        return map;
    }
}
