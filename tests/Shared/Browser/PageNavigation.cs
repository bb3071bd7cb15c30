using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace ImagePipeline.Tests.Browser;

/// <summary>
/// How the tests move between pages: a navigation is done once its response has committed and the
/// new document is parsed (document.readyState is past "loading"; the deferred live.js has run).
/// What a test reads next it waits for by itself, or it reads the parsed document. Waiting for the
/// load event timed out once at 60 s in the lab rollout test on the busiest host; waiting for
/// Playwright's DOMContentLoaded state in WaitForURL hung twice in eleven runs of the web tests
/// (the state was never recorded, though "load" was), so the parsed state is asked of the page.
/// </summary>
internal static class PageNavigation
{
    private static readonly PageGotoOptions Committed = new() { WaitUntil = WaitUntilState.Commit };
    private static readonly PageWaitForURLOptions CommittedUrl = new() { WaitUntil = WaitUntilState.Commit };

    /// <summary>Goes to <paramref name="path"/> (relative to the context's base address).</summary>
    public static async Task<IResponse?> OpenAsync(this IPage page, string path)
    {
        var response = await page.GotoAsync(path, Committed);
        await ParsedAsync(page);
        return response;
    }

    /// <summary>Waits for the page a click leads to, by URL glob.</summary>
    public static async Task WaitForPageAsync(this IPage page, string url)
    {
        await page.WaitForURLAsync(url, CommittedUrl);
        await ParsedAsync(page);
    }

    /// <summary>Waits for the page a click leads to, by URL pattern.</summary>
    public static async Task WaitForPageAsync(this IPage page, Regex url)
    {
        await page.WaitForURLAsync(url, CommittedUrl);
        await ParsedAsync(page);
    }

    private static async Task ParsedAsync(IPage page)
    {
        var parsed = await page.WaitForFunctionAsync("() => document.readyState !== 'loading'");
        await parsed.DisposeAsync();
    }
}
