using Microsoft.AspNetCore.Http;

namespace ImagePipeline.Server.Auth;

/// <summary>
/// Two ways in, one set of policies. Scripts send credentials in the Authorization header (API
/// tokens, Basic); people in a browser carry the web UI's sign-in cookie. The API (under /api,
/// and the machine-read /openapi and /metrics) never accepts the cookie, so no other site can make
/// a browser change anything through it (no cross-site request forgery); the UI's forms carry
/// antiforgery tokens instead. A browser page without a cookie is sent to the sign-in page;
/// an API call without credentials gets a 401.
/// <para>
/// Basic credentials are never taken on a browser path, and a 401 never asks for them: a
/// browser that was once asked caches them and sends them by itself with every request to the
/// site, another site's form posts included — a session without a cookie, which antiforgery
/// would have to guard on every handler. A Bearer token on a browser path stays accepted:
/// browsers never attach one on their own, so it always comes from a program.
/// </para>
/// </summary>
public static class SignInSchemes
{
    /// <summary>The default scheme: forwards to <see cref="CredentialsAuthenticationHandler.SchemeName"/> or <see cref="Cookie"/> (<see cref="Select"/>).</summary>
    public const string Auto = "imagepipe-auto";
    public const string Cookie = "imagepipe-cookie";
    public const string CookieName = "imagepipe.session";

    public static string Select(HttpContext context) =>
        !IsBrowserPath(context.Request.Path) || IsBearer(context.Request) ? CredentialsAuthenticationHandler.SchemeName : Cookie;

    private static bool IsBearer(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    /// <summary>Pages for people: the web UI and the job dashboard. Everything else is for programs.</summary>
    public static bool IsBrowserPath(PathString path) =>
        !path.StartsWithSegments("/api") && !path.StartsWithSegments("/openapi") && !path.StartsWithSegments("/metrics")
        && !path.StartsWithSegments("/healthz") && !path.StartsWithSegments("/readyz");
}
