using Microsoft.Playwright;

namespace ImagePipeline.Tests.Browser;

/// <summary>A browser of its own (cookies and all) signed in to the web UI through its sign-in form.</summary>
internal static class BrowserSignIn
{
    public static async Task<(IBrowserContext Browser, IPage Page)> AsAsync(Uri server, string account, string password, TimeSpan? timeout = null)
    {
        var browser = await Chromium.NewContextAsync(server, timeout);
        var page = await browser.NewPageAsync();
        await page.OpenAsync("/login");
        await page.GetByLabel("Account").FillAsync(account);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("#signed-in-as").WaitForAsync();
        return (browser, page);
    }
}
