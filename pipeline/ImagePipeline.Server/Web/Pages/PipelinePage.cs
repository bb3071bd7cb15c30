using ImagePipeline.Server.Auth;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Server.Web.Pages;

/// <summary>
/// What every page has: the store, who is signed in and what they may do (to show only the forms
/// they can use; the handlers check again), and the one-line notice or error a form leaves for the
/// page it redirects to (post, redirect, get).
/// </summary>
public abstract class PipelinePage : PageModel
{
    [TempData]
    public string? Notice { get; set; }

    [TempData]
    public string? Error { get; set; }

    protected IDbContextFactory<PipelineDb> Databases => HttpContext.RequestServices.GetRequiredService<IDbContextFactory<PipelineDb>>();

    protected Task<PipelineDb> OpenAsync() => Databases.CreateDbContextAsync(HttpContext.RequestAborted);

    public string Actor => User.Identity?.Name ?? "?";

    /// <summary>Whether the signed-in account passes a policy (Roles.Policies), judged the way the policies judge.</summary>
    public bool Can(string policy) =>
        !User.HasClaim(CredentialsAuthenticationHandler.MustChangePasswordClaim, "true") && Roles.Accepted[policy].Any(User.IsInRole);

    /// <summary>Back to this page (or the given one) with a notice, or an error that says what to fix.</summary>
    protected RedirectResult Done(string notice, string? to = null)
    {
        Notice = notice;
        return Redirect(to ?? Request.Path + Request.QueryString);
    }

    protected RedirectResult Refused(string error, string? to = null)
    {
        Error = error;
        return Redirect(to ?? Request.Path + Request.QueryString);
    }

    /// <summary>What the action answers, or the desk's refusal (<see cref="RequestRefusedException"/>) shown on this page.</summary>
    protected async Task<IActionResult> UnlessRefusedAsync(Func<Task<IActionResult>> action)
    {
        try
        {
            return await action();
        }
        catch (RequestRefusedException e)
        {
            return Refused(e.Message);
        }
    }
}
