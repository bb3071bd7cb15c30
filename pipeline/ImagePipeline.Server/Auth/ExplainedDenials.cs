using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace ImagePipeline.Server.Auth;

/// <summary>A 403 that says what to do: change the one-time password first, or which roles the endpoint needs.</summary>
public sealed class ExplainedDenials : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler standard = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (!authorizeResult.Forbidden || context.User.Identity?.IsAuthenticated != true)
        {
            await standard.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        var roles = authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<RolesAuthorizationRequirement>().SelectMany(r => r.AllowedRoles).ToList() ?? [];
        var mustChange = context.User.HasClaim(CredentialsAuthenticationHandler.MustChangePasswordClaim, "true");
        if (SignInSchemes.Select(context) == SignInSchemes.Cookie)
        {
            // A person in a browser: to the password form, or a page that says why not.
            if (mustChange)
            {
                context.Response.Redirect("/account/password");
                return;
            }

            await HandlerPolicyFilter.RefusalPage(Explain(context.User, roles)).ExecuteResultAsync(new Microsoft.AspNetCore.Mvc.ActionContext { HttpContext = context });
            return;
        }

        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await context.Response.WriteAsync(Explain(context.User, roles) + "\n", context.RequestAborted);
    }

    /// <summary>Why a signed-in account may not do something, and what to do about it.</summary>
    public static string Explain(System.Security.Claims.ClaimsPrincipal user, IReadOnlyCollection<string> roles) =>
        user.HasClaim(CredentialsAuthenticationHandler.MustChangePasswordClaim, "true")
            ? "change the one-time password first: POST /api/v1/account/password {\"current\": ..., \"new\": ...}, or sign in to the web UI"
            : roles.Count > 0 ? $"{user.Identity?.Name} may not do this: it needs the role {string.Join(" or ", roles)}" : "forbidden";
}
