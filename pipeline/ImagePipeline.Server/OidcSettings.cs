namespace ImagePipeline.Server;

/// <summary>
/// Single sign-on for the web UI through an OpenID Connect identity provider (<c>server
/// --oidc-authority</c>): who the server is at the provider, and how the provider's groups (or
/// roles) map to the server's roles (<see cref="Auth.OidcRoleMap"/>). A person none of whose groups
/// maps to a role is refused.
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
}
