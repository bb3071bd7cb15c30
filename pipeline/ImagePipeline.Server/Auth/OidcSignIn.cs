using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace ImagePipeline.Server.Auth;

/// <summary>
/// The web UI's single sign-on: ASP.NET Core's OpenID Connect handler with the authorization code
/// flow and PKCE; once the provider's ID token is validated, the person's groups are mapped to the
/// server's roles (<see cref="OidcRoleMap"/>) and the web UI's own cookie is issued, as for a
/// local account. The person's name is the provider's <c>preferred_username</c> (else email, else
/// subject) prefixed <c>oidc:</c>, so no one at the provider can pass for a local account (four
/// eyes count people by name). Local accounts keep working beside it; API scripts keep their
/// tokens. A refusal (no mapped role, a provider error) lands on the sign-in page with the reason.
/// </summary>
public static class OidcSignIn
{
    public const string Scheme = "imagepipe-oidc";
    public const string CallbackPath = "/signin-oidc";
    /// <summary>Where the provider sends the browser back after it ended its session (register it as the client's post-logout redirect URI).</summary>
    public const string SignedOutCallbackPath = "/signout-callback-oidc";
    /// <summary>Where the sign-in page's single sign-on button leads: the challenge.</summary>
    public const string StartPath = "/login/oidc";
    /// <summary>
    /// Where the provider's round trip ends: a page that moves on to the page asked for by a
    /// navigation of the server's own. The session cookie is SameSite=Strict, and a browser does not
    /// send it on the redirect chain the provider's site started.
    /// </summary>
    public const string LandingPath = "/login/oidc/done";
    /// <summary>Marks a principal signed in through the provider: it has no local account to re-read.</summary>
    public const string ProviderClaim = "imagepipe:identity-provider";
    public const string NamePrefix = "oidc:";
    private static readonly string[] BaseScopes = ["openid", "profile"];

    public static AuthenticationBuilder AddWebUiOidc(this AuthenticationBuilder authentication, OidcSettings settings) =>
        authentication.AddOpenIdConnect(Scheme, "single sign-on", oidc =>
        {
            oidc.Authority = settings.Authority.ToString();
            oidc.ClientId = settings.ClientId;
            oidc.ClientSecret = settings.ClientSecret;
            oidc.ResponseType = OpenIdConnectResponseType.Code;
            oidc.UsePkce = true;
            // The code comes back on a top-level GET (not a cross-site form post), so the handler's
            // correlation and nonce cookies can be SameSite=Lax, and need no HTTPS of their own.
            oidc.ResponseMode = OpenIdConnectResponseMode.Query;
            oidc.CorrelationCookie.SameSite = SameSiteMode.Lax;
            oidc.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            oidc.NonceCookie.SameSite = SameSiteMode.Lax;
            oidc.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            oidc.SignInScheme = SignInSchemes.Cookie;
            oidc.CallbackPath = CallbackPath;
            oidc.SignedOutCallbackPath = SignedOutCallbackPath;
            // A provider on plain HTTP is accepted only on loopback (a test, a collector beside the server).
            oidc.RequireHttpsMetadata = !settings.Authority.IsLoopback;
            oidc.MapInboundClaims = false;
            oidc.GetClaimsFromUserInfoEndpoint = false;
            oidc.SaveTokens = false;
            oidc.Scope.Clear();
            foreach (var scope in BaseScopes.Concat(settings.Scopes))
                oidc.Scope.Add(scope);
            oidc.Events.OnTokenValidated = context =>
            {
                var principal = context.Principal!;
                var groups = principal.FindAll(settings.RoleClaim).Select(c => c.Value).ToList();
                var name = NamePrefix + (principal.FindFirst("preferred_username")?.Value ?? principal.FindFirst("email")?.Value ?? principal.FindFirst("sub")!.Value);
                var roles = OidcRoleMap.RolesFor(settings, groups);
                if (roles.Count == 0)
                {
                    context.Fail($"{name} has no role here: none of their {settings.RoleClaim} ({(groups.Count == 0 ? "none" : string.Join(", ", groups))}) is mapped to a role (server --oidc-role GROUP=ROLE)");
                    return Task.CompletedTask;
                }

                var claims = new List<Claim> { new(ClaimTypes.Name, name), new(ClaimTypes.AuthenticationMethod, "oidc"), new(ProviderClaim, settings.Authority.ToString()) };
                claims.AddRange(roles.Select(role => new Claim(ClaimTypes.Role, role)));
                context.Principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SignInSchemes.Cookie));
                // Only the ID token is kept (in the session cookie): sign-out hands it back to the
                // provider as id_token_hint, to end the provider's session too.
                if ((context.TokenEndpointResponse?.IdToken ?? context.ProtocolMessage.IdToken) is { } idToken)
                    context.Properties!.StoreTokens([new AuthenticationToken { Name = "id_token", Value = idToken }]);
                return Task.CompletedTask;
            };
            oidc.Events.OnRemoteFailure = context =>
            {
                context.Response.Redirect($"/login?refused={Uri.EscapeDataString(context.Failure?.Message ?? "the identity provider refused the sign-in")}");
                context.HandleResponse();
                return Task.CompletedTask;
            };
        });

    /// <summary>
    /// Whether signing <paramref name="http"/>'s person out should end their provider's session too:
    /// they signed in through it, and its discovery document names an end-session endpoint.
    /// </summary>
    public static async Task<bool> EndsProviderSessionAsync(HttpContext http)
    {
        if (!http.User.HasClaim(c => c.Type == ProviderClaim))
            return false;
        var options = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<OpenIdConnectOptions>>().Get(Scheme);
        var configuration = await options.ConfigurationManager!.GetConfigurationAsync(http.RequestAborted);
        return !string.IsNullOrEmpty(configuration.EndSessionEndpoint);
    }
}
