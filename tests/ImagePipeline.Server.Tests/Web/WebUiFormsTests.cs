using System.Net;
using System.Reflection;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Server.Web;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ImagePipeline.Server.Tests.Web;

/// <summary>
/// The web UI's forms, checked exhaustively like the endpoints (EndpointAccessTests): every POST
/// handler of every page names the policy in the table below, and a form posted without its
/// antiforgery token is refused even with a valid session.
/// </summary>
public sealed class WebUiFormsTests
{
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["LoginModel.OnPostAsync"] = HandlerPolicyAttribute.Anyone,
        ["LogoutModel.OnPostAsync"] = Roles.Policies.SignedIn,
        ["PasswordModel.OnPostAsync"] = Roles.Policies.SignedIn,
        ["RecipesModel.OnPostBuildAsync"] = Roles.Policies.Build,
        ["RecipesModel.OnPostEmergencyAsync"] = Roles.Policies.Build,
        ["ImageModel.OnPostPromoteAsync"] = Roles.Policies.Request,
        ["PromotionsModel.OnPostApproveAsync"] = Roles.Policies.Approve,
        ["PromotionsModel.OnPostRejectAsync"] = Roles.Policies.Approve,
        ["RolloutsModel.OnPostAsync"] = Roles.Policies.Operate,
        ["RolloutModel.OnPostPauseAsync"] = Roles.Policies.Operate,
        ["RolloutModel.OnPostResumeAsync"] = Roles.Policies.Operate,
        ["RolloutModel.OnPostAbortAsync"] = Roles.Policies.Operate,
        ["RolloutModel.OnPostRollbackAsync"] = Roles.Policies.Operate,
        ["AccountsModel.OnPostAsync"] = Roles.Policies.Administer,
    };

    [Fact]
    public void Every_post_handler_names_the_policy_the_table_says()
    {
        var handlers = typeof(WebUi).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(PageModel)))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Where(m => m.Name.StartsWith("OnPost", StringComparison.Ordinal))
                .Select(m => (Name: $"{t.Name}.{m.Name}", Policy: m.GetCustomAttribute<HandlerPolicyAttribute>()?.Policy)))
            .ToDictionary(h => h.Name, h => h.Policy ?? "(none: refused to everyone)");

        handlers.ShouldBe(Expected, ignoreOrder: true);
    }

    [Fact]
    public async Task A_form_posted_without_its_antiforgery_token_is_refused_even_with_a_session()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        var (browser, page) = await server.SignInAsync(TestServer.FirstAdminName);
        await using var _ = browser;

        var forged = await page.APIRequest.PostAsync("/recipes?handler=Build", new() { Form = page.APIRequest.CreateFormData().Set("recipe", "tiny") });
        using var anonymous = await server.ClientAsync();
        using var signIn = await anonymous.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = "admin", ["password"] = TestServer.AdminPassword }),
            TestContext.Current.CancellationToken);

        forged.Status.ShouldBe((int)HttpStatusCode.BadRequest, "the session cookie alone does not make a form valid");
        signIn.StatusCode.ShouldBe(HttpStatusCode.BadRequest, "nor can another site post the sign-in form");
        (await server.GetJsonAsync("/api/v1/runs/")).AsArray().Count.ShouldBe(0);
    }
}
