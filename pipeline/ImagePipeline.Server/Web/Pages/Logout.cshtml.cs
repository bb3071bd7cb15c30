using ImagePipeline.Server.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Server.Web.Pages;

/// <summary>
/// Ends the web UI session; for a person signed in through the identity provider, the provider's
/// session too (RP-initiated logout: the browser goes to its end-session endpoint with the ID
/// token, and comes back to the sign-in page), so the next sign-in asks for their password again.
/// </summary>
public sealed class LogoutModel : PipelinePage
{
    [HandlerPolicy(Roles.Policies.SignedIn)]
    public async Task<IActionResult> OnPostAsync()
    {
        if (HttpContext.RequestServices.GetRequiredService<ServerOptions>().Oidc is not null && await OidcSignIn.EndsProviderSessionAsync(HttpContext))
            return SignOut(new AuthenticationProperties { RedirectUri = WebUi.LoginPath }, Auth.SignInSchemes.Cookie, OidcSignIn.Scheme);
        await HttpContext.SignOutAsync(Auth.SignInSchemes.Cookie);
        return Redirect(WebUi.LoginPath);
    }
}
