using ImagePipeline.Tests.Browser;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.State;
using ImagePipeline.Server.Tests.Api;
using ImagePipeline.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using System.Net.Http.Json;
using Microsoft.Playwright;

namespace ImagePipeline.Server.Tests.Web;

/// <summary>Promotion in a real browser: ask on the image's page, be refused approving one's own request, another approver approves, and an open page follows without a reload.</summary>
public sealed class PromotionPagesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_approver_cannot_approve_their_own_request_another_approves_it_and_the_first_sees_it_live()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        var image = await PromotionApiTests.CandidateAsync(server);
        var asker = await server.CreateAccountAsync(Roles.Approver);
        var decider = await server.CreateAccountAsync(Roles.Approver);
        var (askerBrowser, page) = await server.SignInAsync(asker);
        await using var _ = askerBrowser;

        await page.OpenAsync($"/images/{image}");
        (await page.Locator("#image-channel").TextContentAsync())!.ShouldContain("candidate");
        await page.Locator("#promote-comment").FillAsync("passed the matrix");
        await page.GetByRole(AriaRole.Button, new() { Name = "Request promotion to staging" }).ClickAsync();
        (await page.GetByRole(AriaRole.Status).TextContentAsync())!.ShouldContain("promotion requested");

        await page.OpenAsync("/promotions");
        var pending = page.Locator(".promotion[data-state=pending]");
        (await pending.CountAsync()).ShouldBe(1);
        (await pending.TextContentAsync())!.ShouldContain("You asked for this one");
        await pending.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        (await page.GetByRole(AriaRole.Alert).TextContentAsync())!.ShouldContain($"four eyes: {asker} requested promotion");
        (await page.Locator(".promotion[data-state=pending]").CountAsync()).ShouldBe(1, "the refused approval changed nothing");

        var (deciderBrowser, other) = await server.SignInAsync(decider);
        await using var __ = deciderBrowser;
        await other.OpenAsync("/promotions");
        await other.GetByLabel(new System.Text.RegularExpressions.Regex("comment on promotion")).FillAsync("looks good");
        await other.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        (await other.GetByRole(AriaRole.Status).TextContentAsync())!.ShouldContain("approved");

        // The asker's page was not reloaded: the live feed brings the decision.
        await page.Locator("tr[data-state=approved]").WaitForAsync(new() { Timeout = 10_000 });
        (await page.Locator(".promotion[data-state=pending]").CountAsync()).ShouldBe(0);
        (await page.Locator("tr[data-state=approved]").TextContentAsync())!.ShouldContain($"{decider} approved: looks good");
        await other.OpenAsync($"/images/{image}");
        (await other.Locator("#image-channel").TextContentAsync())!.ShouldContain("staging");
        (await other.Locator("#image-facts").TextContentAsync())!.ShouldContain($"approved by {decider}");
        await using var db = await server.Services.GetRequiredService<IDbContextFactory<PipelineDb>>().CreateDbContextAsync(Ct);
        var entries = await db.Audit.OrderBy(a => a.Id).Select(a => $"{a.Actor} {a.Action}").ToListAsync(Ct);
        entries.ShouldContain($"{asker} promotion-requested");
        entries.ShouldContain($"{decider} promotion-approved");
        entries.ShouldContain($"{decider} image-signed");
    }

    [Fact]
    public async Task A_viewer_sees_no_forms_and_a_builder_cannot_approve_even_by_posting_the_form()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        var image = await PromotionApiTests.CandidateAsync(server);
        using var builderApi = await server.ClientAsync(Roles.Builder);
        (await builderApi.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { comment = "please" }, Ct)).EnsureSuccessStatusCode();
        var viewer = await server.CreateAccountAsync(Roles.Viewer);
        var builder = await server.CreateAccountAsync(Roles.Builder);

        var (viewerBrowser, page) = await server.SignInAsync(viewer);
        await using (viewerBrowser)
        {
            await page.OpenAsync("/promotions");
            (await page.Locator(".promotion[data-state=pending]").CountAsync()).ShouldBe(1);
            (await page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).CountAsync()).ShouldBe(0);
            await page.OpenAsync($"/images/{image}");
            (await page.GetByRole(AriaRole.Button, new() { Name = "Request promotion to staging" }).CountAsync()).ShouldBe(0);
            await page.OpenAsync("/accounts");
            (await page.ContentAsync()).ShouldContain("it needs the role admin");
        }

        var (builderBrowser, builderPage) = await server.SignInAsync(builder);
        await using (builderBrowser)
        {
            await builderPage.OpenAsync("/promotions");
            // The form is not shown to a builder; post it anyway, with the page's own antiforgery token.
            var token = await builderPage.Locator("input[name=__RequestVerificationToken]").First.GetAttributeAsync("value");
            var id = await server.GetJsonAsync("/api/v1/promotions/");
            var response = await builderPage.APIRequest.PostAsync("/promotions?handler=Approve", new()
            {
                Form = builderPage.APIRequest.CreateFormData().Set("id", id[0]!["id"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .Set("comment", "sneaky").Set("__RequestVerificationToken", token!),
            });
            response.Status.ShouldBe(403);
            (await response.TextAsync()).ShouldContain($"{builder} may not do this: it needs the role approver or admin");
        }

        (await server.GetJsonAsync("/api/v1/promotions/"))[0]!["state"]!.GetValue<string>().ShouldBe("pending");
    }
}
