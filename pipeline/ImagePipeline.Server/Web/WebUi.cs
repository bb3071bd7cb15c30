using System.Reflection;
using ImagePipeline.Server.Api;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.State;
using ImagePipeline.Server.Web.Live;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Server.Web;

/// <summary>
/// The web UI: server-rendered Razor Pages under Web/Pages, signed in with a cookie (see
/// <see cref="SignInSchemes"/>), every form with an antiforgery token, every POST handler naming
/// the policy it needs (<see cref="HandlerPolicyFilter"/>). Live views listen to one
/// server-sent event stream (<see cref="LiveFeed"/>) and re-read their live regions when it
/// says something changed. The stylesheet and script are embedded: no CDN, it works offline.
/// </summary>
public static class WebUi
{
    public const string LoginPath = "/login";

    public static IServiceCollection AddWebUi(this IServiceCollection services, ServerOptions options)
    {
        services.AddRazorPages(pages =>
            {
                pages.RootDirectory = "/Web/Pages";
                pages.Conventions.AllowAnonymousToPage("/Login");
                pages.Conventions.AuthorizePage("/Logout", Roles.Policies.SignedIn);
                pages.Conventions.AuthorizePage("/Account/Password", Roles.Policies.SignedIn);
            })
            .AddMvcOptions(mvc => mvc.Filters.Add<HandlerPolicyFilter>())
            .AddApplicationPart(typeof(WebUi).Assembly);
        // The cookie and antiforgery keys outlive a restart, and servers sharing a data directory share them.
        services.AddDataProtection().SetApplicationName("imagepipeline").PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(options.ServerDirectory, "keys")));
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "imagepipe.antiforgery";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.AddSingleton<LiveFeed>();
        return services;
    }

    public static AuthenticationBuilder AddWebUiCookie(this AuthenticationBuilder authentication) =>
        authentication.AddCookie(SignInSchemes.Cookie, cookie =>
        {
            cookie.LoginPath = LoginPath;
            cookie.LogoutPath = "/logout";
            cookie.Cookie.Name = SignInSchemes.CookieName;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.SlidingExpiration = true;
            cookie.Events.OnValidatePrincipal = RefreshFromAccountAsync;
        });

    /// <summary>Every request re-reads the account: a role taken away, a deleted account or a changed password takes effect at once, not at the cookie's expiry.</summary>
    private static async Task RefreshFromAccountAsync(CookieValidatePrincipalContext context)
    {
        // Signed in through the identity provider: no local account; its roles hold for the session.
        if (context.Principal?.HasClaim(c => c.Type == OidcSignIn.ProviderClaim) == true)
            return;
        var databases = context.HttpContext.RequestServices.GetRequiredService<IDbContextFactory<PipelineDb>>();
        await using var db = await databases.CreateDbContextAsync(context.HttpContext.RequestAborted);
        var name = context.Principal?.Identity?.Name;
        var account = await db.Accounts.AsNoTracking().SingleOrDefaultAsync(a => a.Name == name, context.HttpContext.RequestAborted);
        var stamp = context.Properties.Items.TryGetValue(PasswordStamp, out var value) ? value : null;
        if (account is null || stamp != StampOf(account))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(SignInSchemes.Cookie);
            return;
        }

        context.ReplacePrincipal(CredentialsAuthenticationHandler.PrincipalOf(account, "cookie", SignInSchemes.Cookie));
    }

    private const string PasswordStamp = "imagepipe:password-stamp";

    /// <summary>A return URL on this server (a path), else the home page: never another site.</summary>
    private static string LocalOrHome(string? returnUrl) =>
        returnUrl is { Length: > 0 } && returnUrl[0] == '/' && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.StartsWith("/\\", StringComparison.Ordinal) ? returnUrl : "/";

    /// <summary>The last characters of the password hash: changing the password ends every other session.</summary>
    private static string StampOf(Account account) => account.PasswordHash[^8..];

    public static Task SignInAsync(HttpContext http, Account account)
    {
        var properties = new AuthenticationProperties { IsPersistent = false };
        properties.Items[PasswordStamp] = StampOf(account);
        return http.SignInAsync(SignInSchemes.Cookie, CredentialsAuthenticationHandler.PrincipalOf(account, "cookie", SignInSchemes.Cookie), properties);
    }

    public static IEndpointRouteBuilder MapWebUi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapRazorPages();
        if (endpoints.ServiceProvider.GetRequiredService<ServerOptions>().Oidc is not null)
        {
            endpoints.MapGet(OidcSignIn.StartPath, (string? returnUrl) => Results.Challenge(
                new AuthenticationProperties { RedirectUri = $"{OidcSignIn.LandingPath}?returnUrl={Uri.EscapeDataString(LocalOrHome(returnUrl))}" }, [OidcSignIn.Scheme])).AllowAnonymous();
            endpoints.MapGet(OidcSignIn.LandingPath, (string? returnUrl) =>
            {
                var target = System.Net.WebUtility.HtmlEncode(LocalOrHome(returnUrl));
                return Results.Content($"<!doctype html><meta http-equiv=\"refresh\" content=\"0;url={target}\"><title>Signed in</title><a href=\"{target}\">Continue</a>", "text/html");
            }).AllowAnonymous();
        }
        endpoints.MapGet("/assets/{name}", ServeAsset).AllowAnonymous();
        endpoints.MapGet("/ui/live", (HttpContext http, LiveFeed feed, CancellationToken ct) => feed.StreamAsync(http, ct)).RequireAuthorization(Roles.Policies.Read);
        endpoints.MapGet("/ui/runs/{id:long}/log", RunsApi.StreamLogAsync).RequireAuthorization(Roles.Policies.Read);
        endpoints.MapGet("/ui/images/{id}/evidence/{file}", Evidence.Serve).RequireAuthorization(Roles.Policies.Read);
        return endpoints;
    }

    private static readonly Microsoft.AspNetCore.StaticFiles.FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>What a file is by its extension (ASP.NET Core's table), text/plain for logs and the like.</summary>
    public static string ContentTypeOf(string file) => ContentTypes.TryGetContentType(file, out var type) ? type : "text/plain; charset=utf-8";

    private static IResult ServeAsset(string name)
    {
        var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"assets/{name}");
        if (stream is null)
            return Results.NotFound();
        var type = ContentTypeOf(name);
        return Results.Stream(stream, type);
    }
}
