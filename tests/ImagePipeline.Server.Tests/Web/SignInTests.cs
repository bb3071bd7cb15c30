using ImagePipeline.Server.Auth;
using ImagePipeline.Server.State;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Tests.Browser;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ImagePipeline.Server.Tests.Web;

/// <summary>Signing in to the web UI in a real browser: the cookie session, the one-time password, signing out.</summary>
public sealed class SignInTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_first_admin_signs_in_with_the_one_time_password_must_choose_a_new_one_and_then_sees_the_dashboard()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        await using (var db = await server.Services.GetRequiredService<IDbContextFactory<PipelineDb>>().CreateDbContextAsync(Ct))
            await db.Accounts.Where(a => a.Name == TestServer.FirstAdminName).ExecuteUpdateAsync(u => u.SetProperty(a => a.MustChangePassword, true), Ct);
        await using var browser = await Chromium.NewContextAsync(server.BaseAddress);
        var page = await browser.NewPageAsync();

        await page.OpenAsync("/rollouts");
        page.Url.ShouldContain("/login?ReturnUrl=%2Frollouts", customMessage: "a page without a session sends the browser to sign in");
        await page.GetByLabel("Account").FillAsync(TestServer.FirstAdminName);
        await page.GetByLabel("Password").FillAsync("not the password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        (await page.GetByRole(AriaRole.Alert).TextContentAsync())!.ShouldContain("wrong account name or password");

        await page.GetByLabel("Account").FillAsync(TestServer.FirstAdminName);
        await page.GetByLabel("Password").FillAsync(TestServer.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForPageAsync("**/account/password");
        await page.OpenAsync("/images");
        page.Url.ShouldEndWith("/account/password", customMessage: "nothing but the password form until the one-time password is changed");

        await page.GetByLabel("Current password").FillAsync(TestServer.AdminPassword);
        await page.GetByLabel("New password").FillAsync("a much longer passphrase");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await page.WaitForPageAsync(server.BaseAddress + "");
        (await page.GetByRole(AriaRole.Status).TextContentAsync())!.ShouldContain("password changed");
        (await page.Locator("#signed-in-as").TextContentAsync()).ShouldBe(TestServer.FirstAdminName);
        (await page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" }).CountAsync()).ShouldBe(1);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForPageAsync("**/login");
        await page.OpenAsync("/");
        page.Url.ShouldContain("/login", customMessage: "signed out means the cookie no longer works");
    }
}
