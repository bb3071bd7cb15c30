using ImagePipeline.Tests.Browser;
using Microsoft.Playwright;

namespace ImagePipeline.Server.Tests.Support;

/// <summary>A browser signed in to a test server (started with kestrel: true).</summary>
internal static class TestServerBrowser
{
    public static Task<(IBrowserContext Browser, IPage Page)> SignInAsync(this TestServer server, string account, string password = TestServer.AdminPassword) =>
        BrowserSignIn.AsAsync(server.BaseAddress, account, password);
}
