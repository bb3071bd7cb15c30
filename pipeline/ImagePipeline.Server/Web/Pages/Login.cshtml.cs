using ImagePipeline.Server.Auth;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages;

/// <summary>Sign in with an account's name and password: a session cookie for the web UI (scripts use API tokens).</summary>
public sealed class LoginModel(TimeProvider clock, ServerOptions options) : PipelinePage
{
    /// <summary>Single sign-on is configured: the page offers it beside the account form.</summary>
    public bool SingleSignOn => options.Oidc is not null;

    /// <summary>Why the identity provider's sign-in was refused (no role mapped, a provider error).</summary>
    [BindProperty(SupportsGet = true, Name = "refused")]
    public string? SingleSignOnRefused { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Name { get; private set; }
    public string? Failed { get; private set; }

    [HandlerPolicy(HandlerPolicyAttribute.Anyone)]
    public async Task<IActionResult> OnPostAsync(string? name, string? password)
    {
        Name = name;
        await using var db = await OpenAsync();
        var account = name is null ? null : await db.Accounts.SingleOrDefaultAsync(a => a.Name == name, HttpContext.RequestAborted);
        if (account is null || password is null || !CredentialsAuthenticationHandler.Verify(account, password))
        {
            db.Audit.Add(new AuditEntry { At = clock.GetUtcNow().UtcDateTime, Actor = HttpContext.Connection.RemoteIpAddress?.ToString() ?? "?", Action = "sign-in-refused", Detail = $"web UI, account '{name}'" });
            await db.SaveChangesAsync(HttpContext.RequestAborted);
            Failed = "wrong account name or password";
            Response.StatusCode = 401;
            return Page();
        }

        await WebUi.SignInAsync(HttpContext, account);
        if (account.MustChangePassword)
            return Redirect("/account/password");
        return Redirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/");
    }
}
