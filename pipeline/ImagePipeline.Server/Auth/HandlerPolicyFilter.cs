using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace ImagePipeline.Server.Auth;

/// <summary>
/// Deny by default for forms: the page's policy lets a viewer read it, and each POST handler must
/// name its own policy (<see cref="HandlerPolicyAttribute"/>) or it refuses everyone. A refusal
/// is a 403 that says which roles the action needs.
/// </summary>
public sealed class HandlerPolicyFilter(IAuthorizationService authorization) : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        if (HttpMethods.IsGet(context.HttpContext.Request.Method) || HttpMethods.IsHead(context.HttpContext.Request.Method))
        {
            await next();
            return;
        }

        var policy = context.HandlerMethod?.MethodInfo.GetCustomAttribute<HandlerPolicyAttribute>()?.Policy;
        if (policy is null)
        {
            context.Result = Refusal("this form names no policy, so nobody may use it");
            return;
        }

        if (policy == HandlerPolicyAttribute.Anyone)
        {
            await next();
            return;
        }

        var result = await authorization.AuthorizeAsync(context.HttpContext.User, policy);
        if (!result.Succeeded)
        {
            var roles = result.Failure?.FailedRequirements.OfType<RolesAuthorizationRequirement>().SelectMany(r => r.AllowedRoles).ToList() ?? [];
            context.Result = Refusal(ExplainedDenials.Explain(context.HttpContext.User, roles));
            return;
        }

        await next();
    }

    private static ContentResult Refusal(string text) => new()
    {
        StatusCode = StatusCodes.Status403Forbidden,
        ContentType = "text/html; charset=utf-8",
        Content = $"<!doctype html><title>Not allowed</title><link rel=stylesheet href=\"/assets/site.css\"><main><h1>Not allowed</h1><p class=\"error\">{System.Net.WebUtility.HtmlEncode(text)}</p><p><a href=\"/\">Back to the dashboard</a></p></main>",
    };

    public static ContentResult RefusalPage(string text) => Refusal(text);
}
