using System.CommandLine;
using ImagePipeline.Server;
using ImagePipeline.Server.Auth;

namespace ImagePipeline.Cli.Verbs;

/// <summary><c>server</c>'s single sign-on options: the identity provider, this server's client there, and the group → role map.</summary>
public sealed class OidcOptions
{
    private readonly Option<string?> authority = new("--oidc-authority")
    {
        Description = "single sign-on for the web UI: the OpenID Connect provider's issuer URL (https; http only on loopback); needs --oidc-client-id and at least one --oidc-role",
    };
    private readonly Option<string?> clientId = new("--oidc-client-id") { Description = "this server's client id at the provider (redirect URI: SERVER/signin-oidc)" };
    private readonly SecretOption clientSecret = new("oidc-client-secret", "this server's client secret at the provider (none: a public client, PKCE only)", "IMAGEPIPE_OIDC_CLIENT_SECRET");
    private readonly Option<string> roleClaim = new("--oidc-role-claim") { Description = "the ID token's claim that lists the person's groups or roles", DefaultValueFactory = _ => OidcSettings.DefaultRoleClaim };
    private readonly Option<string[]> roles = new("--oidc-role")
    {
        Description = "GROUP=ROLE[+ROLE...] (repeatable): a value of --oidc-role-claim and the roles it grants here (viewer, builder, approver, operator, admin); a person with no mapped group is refused",
    };
    private readonly Option<string[]> scopes = new("--oidc-scope") { Description = "a scope to ask for beside openid and profile (repeatable), for providers that send groups only when asked" };

    public IEnumerable<Option> All => [authority, clientId, clientSecret.File, clientSecret.Refused, roleClaim, roles, scopes];

    /// <returns>the settings (null: single sign-on not configured), or what is wrong with the options</returns>
    public (OidcSettings? Settings, string? Problem) Read(ParseResult parse)
    {
        if (parse.GetValue(authority) is not { Length: > 0 } issuer)
            return parse.GetValue(clientId) is null && (parse.GetValue(roles) ?? []).Length == 0 ? (null, null) : (null, "--oidc-client-id and --oidc-role need --oidc-authority");
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var url) || !(url.Scheme == "https" || (url.Scheme == "http" && url.IsLoopback)))
            return (null, $"--oidc-authority '{issuer}' is not the provider's https issuer URL (plain http only on loopback), e.g. https://login.example.com/realms/ops");
        if (parse.GetValue(clientId) is not { Length: > 0 } client)
            return (null, "--oidc-authority needs --oidc-client-id: this server's client id at the provider");
        var (secret, problem) = clientSecret.Read(parse);
        if (problem is not null)
            return (null, problem);
        try
        {
            var map = OidcRoleMap.Parse(parse.GetValue(roles) ?? []);
            return map.Count == 0
                ? (null, "--oidc-authority needs at least one --oidc-role GROUP=ROLE: without one, no one signing in through the provider has a role")
                : (new OidcSettings(url, client, secret, parse.GetValue(roleClaim)!, map, parse.GetValue(scopes) ?? []), null);
        }
        catch (FormatException e)
        {
            return (null, e.Message);
        }
    }
}
