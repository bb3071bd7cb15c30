using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace ImagePipeline.Tests.Browser;

/// <summary>
/// How the tests move between pages. Playwright tracks navigations from the browser's lifecycle
/// events, and against Debian's Chromium (a newer build than this Playwright release was made
/// for) those events go missing now and then: a DOMContentLoaded never recorded though "load"
/// was (twice in eleven web-test runs), and a click's POST-redirect-GET whose commit was never
/// seen (the lab rollout test, three times, "NetworkIdle" the only event in the log while the
/// page itself had long moved on). So a wait here asks the page itself — its <c>location.href</c>
/// and <c>document.readyState</c>, evaluated in whatever document is current — every 100 ms, and
/// on a timeout says where the page is and what it shows, instead of trusting an event.
/// </summary>
internal static class PageNavigation
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly PageGotoOptions Committed = new() { WaitUntil = WaitUntilState.Commit };

    /// <summary>Goes to <paramref name="path"/> (relative to the context's base address) and waits until the new document is parsed.</summary>
    public static async Task<IResponse?> OpenAsync(this IPage page, string path, TimeSpan? timeout = null)
    {
        var response = await page.GotoAsync(path, Committed);
        await WaitUntilAsync(page, _ => true, $"'{path}' to be parsed", timeout);
        return response;
    }

    /// <summary>Waits for the page a click leads to, by a Playwright-style URL glob (<c>**/rollouts/*</c>) or a whole URL; its URL as the page itself says.</summary>
    public static Task<string> WaitForPageAsync(this IPage page, string url, TimeSpan? timeout = null) => page.WaitForPageAsync(Glob(url), timeout);

    /// <summary>
    /// Waits for the page a click leads to, by URL pattern, until its document is parsed; its URL
    /// as the page itself says (<see cref="IPage.Url"/> is Playwright's idea of it, from the same events).
    /// </summary>
    public static Task<string> WaitForPageAsync(this IPage page, Regex url, TimeSpan? timeout = null) =>
        WaitUntilAsync(page, url.IsMatch, $"a page at {url}", timeout);

    private static async Task<string> WaitUntilAsync(IPage page, Func<string, bool> at, string what, TimeSpan? timeout)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        var seen = "(nothing yet)";
        while (true)
        {
            try
            {
                var state = await page.EvaluateAsync<string[]>("() => [location.href, document.readyState]");
                seen = $"{state[0]} ({state[1]})";
                if (state[1] != "loading" && at(state[0]))
                    return state[0];
            }
            catch (PlaywrightException e) when (e.Message.Contains("context was destroyed", StringComparison.OrdinalIgnoreCase)
                || e.Message.Contains("navigat", StringComparison.OrdinalIgnoreCase))
            {
                // Between two documents: ask the next one.
                seen = $"between documents ({e.Message.Split('\n')[0]})";
            }

            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited {(timeout ?? DefaultTimeout).TotalSeconds:0} s for {what}; the page is at {seen}; it shows: {await ShownAsync(page)}");
            await Task.Delay(100);
        }
    }

    /// <summary>What the page's notice or error says, or the start of its text: the answer a form got.</summary>
    private static async Task<string> ShownAsync(IPage page)
    {
        try
        {
            var text = await page.EvaluateAsync<string>("() => (document.querySelector('[role=alert], [role=status], .notice, .error') || document.body || {}).innerText || ''");
            return text.Length > 300 ? text[..300] : text;
        }
        catch (PlaywrightException e)
        {
            return $"(unreadable: {e.Message.Split('\n')[0]})";
        }
    }

    /// <summary>Playwright's URL globs as a regex: <c>**</c> anything, <c>*</c> anything but a slash; a string without them is the whole URL.</summary>
    private static Regex Glob(string glob) =>
        new("^" + Regex.Escape(glob).Replace(@"\*\*", ".*", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal) + "$");
}
