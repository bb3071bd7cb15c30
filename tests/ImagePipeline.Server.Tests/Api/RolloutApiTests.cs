using System.Net;
using System.Net.Http.Json;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Tests.Support;

namespace ImagePipeline.Server.Tests.Api;

/// <summary>What the rollout API refuses, before any machine is touched (the lab tests drive real rollouts).</summary>
public sealed class RolloutApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Machine(string name, string mac, string rack) => new
    {
        name, mac, variant = "bios-virtio", site = "fra1", rack, labels = new Dictionary<string, string> { ["role"] = "web" },
        bmcUrl = "http://127.0.0.1:9", bmcSystem = $"/redfish/v1/Systems/{name}", bmcUser = "admin", bmcPassword = "bmc-secret",
    };

    [Fact]
    public async Task Machines_register_with_their_BMC_and_rollouts_of_unapproved_images_or_empty_selections_are_refused()
    {
        await using var server = await TestServer.StartAsync();
        using var operatorClient = await server.ClientAsync(Roles.Operator);
        var image = await PromotionApiTests.CandidateAsync(server);

        var first = await operatorClient.PostAsJsonAsync("/api/v1/machines", Machine("web-1", "52:54:00:aa:00:01", "r1"), Ct);
        var sameMac = await operatorClient.PostAsJsonAsync("/api/v1/machines", Machine("web-2", "52:54:00:AA:00:01", "r1"), Ct);
        var badSystem = await operatorClient.PostAsJsonAsync("/api/v1/machines", new { name = "web-3", mac = "52:54:00:aa:00:03", variant = "x", bmcUrl = "http://bmc", bmcSystem = "Systems/1" }, Ct);
        var listed = await server.Http.GetStringAsync("/api/v1/machines", Ct);
        var unsigned = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new { imageId = image, selector = new { labels = new { role = "web" } } }, Ct);
        var unknown = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new { imageId = "feed", selector = new { rack = "r1" } }, Ct);
        var noImage = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new { selector = new { rack = "r1" } }, Ct);
        var badPlan = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new { imageId = image, selector = new { rack = "r1" }, plan = new { steps = "1+x" } }, Ct);
        var rollouts = await server.Http.GetStringAsync("/api/v1/rollouts", Ct);

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        sameMac.StatusCode.ShouldBe(HttpStatusCode.Conflict, "MACs compare without case");
        (await badSystem.Content.ReadAsStringAsync(Ct)).ShouldContain("/redfish/v1/Systems/1");
        listed.ShouldContain("web-1");
        listed.ShouldNotContain("bmc-secret");
        unsigned.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await unsigned.Content.ReadAsStringAsync(Ct)).ShouldContain("not approved");
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await noImage.Content.ReadAsStringAsync(Ct)).ShouldContain("imageId is required");
        badPlan.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await badPlan.Content.ReadAsStringAsync(Ct)).ShouldContain("'x' is not a wave size");
        rollouts.ShouldBe("[]", "nothing was started");
    }
}
