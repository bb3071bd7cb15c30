using ImagePipeline.Server.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace ImagePipeline.Server.Web.Pages;

/// <summary>Ends the web UI session.</summary>
public sealed class LogoutModel : PipelinePage
{
    [HandlerPolicy(Roles.Policies.SignedIn)]
    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(Auth.SignInSchemes.Cookie);
        return Redirect(WebUi.LoginPath);
    }
}
