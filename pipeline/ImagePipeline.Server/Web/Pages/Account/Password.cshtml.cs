using ImagePipeline.Server.Api;
using ImagePipeline.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages.Account;

/// <summary>One's own password, by the API's rules; the one-time password of a first start must be changed here before anything else.</summary>
public sealed class PasswordModel(TimeProvider clock) : PipelinePage
{
    public bool MustChange => User.HasClaim(CredentialsAuthenticationHandler.MustChangePasswordClaim, "true");

    [HandlerPolicy(Roles.Policies.SignedIn)]
    public async Task<IActionResult> OnPostAsync(string? current, string? @new)
    {
        var result = await AccountsApi.ChangePasswordAsync(new PasswordChange(current, @new), User, Databases, clock, HttpContext.RequestAborted);
        if (result.Result is BadRequest<string> bad)
            return Refused(bad.Value!);
        // The password stamp in the cookie is the old one: a fresh session, so that this one goes on.
        await using var db = await OpenAsync();
        await WebUi.SignInAsync(HttpContext, await db.Accounts.SingleAsync(a => a.Name == Actor, HttpContext.RequestAborted));
        return Done("password changed", "/");
    }
}
