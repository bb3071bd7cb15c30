using ImagePipeline.Tests.Browser;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Tests.Api;
using ImagePipeline.Server.Tests.Support;
using Microsoft.Playwright;

namespace ImagePipeline.Server.Tests.Web;

/// <summary>
/// Rollouts in a real browser: an operator starts one from the form and watches the waves page,
/// which follows the controller without a reload. Here the canary's deployment fails (the server
/// has no boot service to reach); the lab test watches one complete on six VMs.
/// </summary>
public sealed class RolloutPagesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_operator_starts_a_rollout_in_the_form_and_watches_it_pause_on_the_failing_canary_then_aborts_it()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        var image = await SignedImageAsync(server);
        foreach (var i in Enumerable.Range(1, 3))
        {
            (await server.Http.PostAsJsonAsync("/api/v1/machines", new
            {
                name = $"web-{i}", mac = $"52:54:00:aa:00:0{i}", variant = "bios-virtio", site = "fra1", rack = $"r{i}", bmcUrl = "http://127.0.0.1:9",
                bmcSystem = $"/redfish/v1/Systems/web-{i}",
            }, Ct)).EnsureSuccessStatusCode();
        }

        var operatorName = await server.CreateAccountAsync(Roles.Operator);
        var (browser, page) = await server.SignInAsync(operatorName);
        await using var _ = browser;
        await page.OpenAsync("/rollouts");
        await page.Locator("#rollout-image").SelectOptionAsync(image);
        await page.Locator("#rollout-machines").FillAsync("web-1 web-2 web-3");
        await page.Locator("#rollout-steps").FillAsync("1+2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start rollout" }).ClickAsync();
        await page.WaitForPageAsync("**/rollouts/*");
        (await page.GetByRole(AriaRole.Status).TextContentAsync())!.ShouldContain("2 waves over 3 machines");

        // No reload from here on: the page follows the controller.
        await page.Locator("#rollout-state [data-state=paused]").WaitForAsync(new() { Timeout = 30_000 });
        (await page.Locator("#rollout-reason").TextContentAsync())!.ShouldContain("canary failed: 1 of 1 machines failed (limit 0)");
        (await page.Locator("[data-wave='0']").GetAttributeAsync("data-state")).ShouldBe("failed");
        (await page.Locator("[data-wave='1']").GetAttributeAsync("data-state")).ShouldBe("pending", "the other machines are untouched");
        (await page.Locator("[data-wave='1'] .machine[data-state=pending]").CountAsync()).ShouldBe(2);

        await page.GetByRole(AriaRole.Button, new() { Name = "Abort" }).ClickAsync();
        await page.Locator("#rollout-state [data-state=aborted]").WaitForAsync();
        var rollouts = (await server.GetJsonAsync("/api/v1/rollouts/")).AsArray();
        rollouts.Count.ShouldBe(1);
        rollouts[0]!["state"]!.GetValue<string>().ShouldBe("aborted");
        rollouts[0]!["createdBy"]!.GetValue<string>().ShouldBe(operatorName);
        (await page.Locator("#rollout-audit").TextContentAsync())!.ShouldContain("rollout-aborted");
    }

    [Fact]
    public async Task A_refused_rollout_says_what_to_fix_and_starts_nothing()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        var image = await SignedImageAsync(server);
        var (browser, page) = await server.SignInAsync(TestServer.FirstAdminName);
        await using var _ = browser;
        await page.OpenAsync("/rollouts");
        await page.Locator("#rollout-image").SelectOptionAsync(image);
        await page.Locator("#rollout-machines").FillAsync("nowhere-1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start rollout" }).ClickAsync();
        (await page.GetByRole(AriaRole.Alert).TextContentAsync())!.ShouldContain("selects no machine");
        (await server.GetJsonAsync("/api/v1/rollouts/")).AsArray().Count.ShouldBe(0);
    }

    /// <summary>A candidate promoted to staging by the API (asked by one account, approved by another): signed.</summary>
    private static async Task<string> SignedImageAsync(TestServer server)
    {
        var image = await PromotionApiTests.CandidateAsync(server);
        using var asker = await server.ClientAsync(Roles.Builder);
        var asked = JsonNode.Parse(await (await asker.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { comment = "staging" }, Ct)).Content.ReadAsStringAsync(Ct))!;
        (await server.Http.PostAsJsonAsync($"/api/v1/promotions/{asked["id"]}/approve", new { comment = "ok" }, Ct)).EnsureSuccessStatusCode();
        return image;
    }
}
