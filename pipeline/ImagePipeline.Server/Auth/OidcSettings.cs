namespace ImagePipeline.Server.Auth;

/// <summary>
/// Single sign-on for the web UI through an OpenID Connect identity provider (<c>server
/// --oidc-authority</c>): who the server is at the provider, and how the provider's groups (or
/// roles) map to the server's roles. A person none of whose groups maps to a role is refused.
/// </summary>
/// <param name="Authority">the provider's issuer URL (its discovery document is AUTHORITY/.well-known/openid-configuration)</param>
/// <param name="ClientId">this server's client id at the provider</param>
/// <param name="ClientSecret">its client secret (null for a public client: the code flow's PKCE alone)</param>
/// <param name="RoleClaim">the claim of the ID token that lists the person's groups or roles</param>
/// <param name="RoleMap">each group (a value of <paramref name="RoleClaim"/>) → the server's roles it grants</param>
/// <param name="Scopes">scopes to ask for beside openid and profile (a provider that sends groups only on request)</param>
public sealed record OidcSettings(Uri Authority, string ClientId, string? ClientSecret, string RoleClaim, IReadOnlyDictionary<string, IReadOnlyList<string>> RoleMap,
    IReadOnlyList<string> Scopes)
{
    public const string DefaultRoleClaim = "groups";

    /// <summary>The server's roles the given groups grant, in the server's order; empty when none maps.</summary>
    public IReadOnlyList<string> RolesFor(IEnumerable<string> groups)
    {
        var granted = groups.SelectMany(g => RoleMap.TryGetValue(g, out var roles) ? roles : []).ToHashSet(StringComparer.Ordinal);
        return [.. Roles.All.Where(granted.Contains)];
    }

    /// <summary>Parses <c>GROUP=ROLE[+ROLE...]</c> entries (repeatable <c>--oidc-role</c>); a role the server does not have is refused.</summary>
    /// <exception cref="FormatException">an entry without '=', or an unknown role</exception>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> ParseRoleMap(IEnumerable<string> entries)
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
