using Microsoft.Playwright;

namespace ImagePipeline.Tests.Browser;

/// <summary>
/// One headless Chromium for the test assembly — Debian's own (/usr/bin/chromium, installed by
/// scripts/bootstrap.sh), driven by Playwright; nothing is downloaded. Each test gets a fresh
/// browser context (its own cookies), and closes it.
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";
    private static readonly SemaphoreSlim Starting = new(1, 1);
    private static IPlaywright? playwright;
    private static IBrowser? browser;

    /// <param name="timeout">how long an action waits (for its element, a navigation): longer where VMs keep the host busy</param>
    public static async Task<IBrowserContext> NewContextAsync(Uri baseAddress, TimeSpan? timeout = null)
    {
        var started = await StartedAsync();
        var context = await started.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress.ToString().TrimEnd('/') });
        context.SetDefaultTimeout((float)(timeout ?? TimeSpan.FromSeconds(15)).TotalMilliseconds);
        return context;
    }

    private static async Task<IBrowser> StartedAsync()
    {
        await Starting.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (browser is not null)
                return browser;
            if (!File.Exists(Executable))
                throw new InvalidOperationException($"{Executable} is missing: run scripts/bootstrap.sh (it installs Debian's chromium)");
            playwright = await Playwright.CreateAsync();
            browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Executable, Headless = true });
            return browser;
        }
        finally
        {
            Starting.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (browser is not null)
            await browser.CloseAsync();
        playwright?.Dispose();
    }
}
