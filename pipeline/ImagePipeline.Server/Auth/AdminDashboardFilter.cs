using Hangfire.Dashboard;

namespace ImagePipeline.Server.Auth;

/// <summary>The Hangfire dashboard is for admins, signed in to the web UI (its cookie) or with an API token.</summary>
public sealed class AdminDashboardFilter : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context)
    {
        var user = context.GetHttpContext().User;
        return user.Identity?.IsAuthenticated == true && user.IsInRole(Roles.Admin) && !user.HasClaim(CredentialsAuthenticationHandler.MustChangePasswordClaim, "true");
    }
}
