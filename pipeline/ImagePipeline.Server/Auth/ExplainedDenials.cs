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
        var text = context.User.HasClaim(CredentialsAuthenticationHandler.MustChangePasswordClaim, "true")
            ? "change the one-time password first: POST /api/v1/account/password {\"current\": ..., \"new\": ...}"
            : roles.Count > 0 ? $"{context.User.Identity.Name} may not do this: it needs the role {string.Join(" or ", roles)}" : "forbidden";
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await context.Response.WriteAsync(text + "\n", context.RequestAborted);
    }
}
