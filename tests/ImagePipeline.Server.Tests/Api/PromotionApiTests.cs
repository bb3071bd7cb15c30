using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ImagePipeline.ArtifactStore;
using ImagePipeline.BootService.Images;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.State;
using ImagePipeline.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Server.Tests.Api;

/// <summary>Promotion: one channel at a time, four eyes, per-channel approvals, signing on approval, emergencies, and the audit trail.</summary>
public sealed class PromotionApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A validated image as the pipeline leaves it: a candidate version, and its files in the artifact store.</summary>
    internal static async Task<string> CandidateAsync(TestServer server, string recipe = "tiny")
    {
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{recipe}-{Guid.NewGuid()}")));
        var directory = Directory.CreateDirectory(Path.Combine(server.DataDirectory, "artifacts", "sha256", id));
        await File.WriteAllTextAsync(Path.Combine(directory.FullName, "manifest.json"), """{"disk":{"size":536870912,"growRoot":false}}""", Ct);
        await File.WriteAllTextAsync(Path.Combine(directory.FullName, ArtifactStoreLayout.CompressedDisk), "zstd bytes", Ct);
        await using var db = await server.Services.GetRequiredService<IDbContextFactory<PipelineDb>>().CreateDbContextAsync(Ct);
        db.Images.Add(new ImageVersion { ImageId = id, RecipeName = recipe, InputDigest = "feed", Commit = "c0ffee", Channel = "candidate", RunId = 1, CreatedAt = DateTime.UtcNow });
        await db.SaveChangesAsync(Ct);
        return id;
    }

    /// <summary>A candidate promoted one channel up by <paramref name="requester"/> and approved by <paramref name="approver"/>: signed, so rollouts take it.</summary>
    internal static async Task<string> SignedAsync(TestServer server, HttpClient requester, HttpClient approver)
    {
        var image = await CandidateAsync(server);
        var asked = await JsonAsync(await requester.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { comment = "staging" }, Ct));
        (await approver.PostAsJsonAsync($"/api/v1/promotions/{asked["id"]}/approve", new { comment = "ok" }, Ct)).EnsureSuccessStatusCode();
        return image;
    }

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;

    [Theory]
    [MemberData(nameof(TestServer.Stores), MemberType = typeof(TestServer))]
    public async Task Four_eyes_hold_when_decisions_race_one_person_counts_once_and_two_at_once_both_count(string store)
    {
        await using var server = await TestServer.StartAsync(store, configure: o => o with { Channels = "staging:2" });
        using var builder = await server.ClientAsync(Roles.Builder);
        using var approver = await server.ClientAsync(Roles.Approver);
        using var other = await server.ClientAsync(Roles.Approver);
        using var third = await server.ClientAsync(Roles.Approver);
        var raced = await JsonAsync(await builder.PostAsJsonAsync($"/api/v1/images/{await CandidateAsync(server)}/promotions", new { comment = "race" }, Ct));
        var pair = await JsonAsync(await builder.PostAsJsonAsync($"/api/v1/images/{await CandidateAsync(server)}/promotions", new { comment = "pair" }, Ct));

        // One approver's eight clicks at once: one is a decision, seven are refused.
        var clicks = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => approver.PostAsJsonAsync($"/api/v1/promotions/{raced["id"]}/approve", new { comment = "click" }, Ct)));
        var afterClicks = await server.GetJsonAsync($"/api/v1/promotions/{raced["id"]}");
        // Two approvers at once on a request that needs two: both count, and it is approved.
        var both = await Task.WhenAll(
            other.PostAsJsonAsync($"/api/v1/promotions/{pair["id"]}/approve", new { comment = "one" }, Ct),
            third.PostAsJsonAsync($"/api/v1/promotions/{pair["id"]}/approve", new { comment = "two" }, Ct));
        var afterPair = await server.GetJsonAsync($"/api/v1/promotions/{pair["id"]}");

        clicks.Count(c => c.StatusCode == HttpStatusCode.OK).ShouldBe(1);
        clicks.Count(c => c.StatusCode == HttpStatusCode.Conflict).ShouldBe(7);
        afterClicks["state"]!.GetValue<string>().ShouldBe("pending", "one person is one approval of the two needed");
        afterClicks["approvals"]!.AsArray().Count.ShouldBe(1);
        both.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        afterPair["state"]!.GetValue<string>().ShouldBe("approved");
        afterPair["approvals"]!.AsArray().Count.ShouldBe(2);
    }

    [Fact]
    public async Task Approval_by_someone_else_moves_the_image_up_one_channel_and_signs_it_and_the_requester_cannot_approve()
    {
        await using var server = await TestServer.StartAsync(configure: o => o with { Channels = "staging:1,production:2" });
        var image = await CandidateAsync(server);
        using var builder = await server.ClientAsync(Roles.Builder);
        using var approver = await server.ClientAsync(Roles.Approver);
        using var second = await server.ClientAsync(Roles.Approver);

        var toStaging = await JsonAsync(await builder.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { comment = "passed the matrix" }, Ct));
        var approved = await approver.PostAsJsonAsync($"/api/v1/promotions/{toStaging["id"]}/approve", new { comment = "looks good" }, Ct);
        var staged = await server.GetJsonAsync($"/api/v1/images/{image}");
        var toProduction = await JsonAsync(await approver.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { comment = "staging soaked a day" }, Ct));
        var own = await approver.PostAsJsonAsync($"/api/v1/promotions/{toProduction["id"]}/approve", new { comment = "mine" }, Ct);
        var firstOfTwo = await JsonAsync(await second.PostAsJsonAsync($"/api/v1/promotions/{toProduction["id"]}/approve", new { comment = "ok" }, Ct));
        var twice = await second.PostAsJsonAsync($"/api/v1/promotions/{toProduction["id"]}/approve", new { comment = "ok again" }, Ct);
        var done = await JsonAsync(await server.Http.PostAsJsonAsync($"/api/v1/promotions/{toProduction["id"]}/approve", new { comment = "go" }, Ct));
        var produced = await server.GetJsonAsync($"/api/v1/images/{image}");
        var publicKey = await server.Http.GetStringAsync("/api/v1/signing-key", Ct);
        var audit = (await server.GetJsonAsync("/api/v1/audit")).AsArray().Select(a => $"{a!["actor"]} {a["action"]} {a["detail"]}").ToList();

        toStaging["to"]!.GetValue<string>().ShouldBe("staging");
        toStaging["state"]!.GetValue<string>().ShouldBe("pending");
        approved.StatusCode.ShouldBe(HttpStatusCode.OK);
        staged["channel"]!.GetValue<string>().ShouldBe("staging");
        own.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await own.Content.ReadAsStringAsync(Ct)).ShouldContain("four eyes");
        firstOfTwo["state"]!.GetValue<string>().ShouldBe("pending", "production needs two approvals");
        twice.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        done["state"]!.GetValue<string>().ShouldBe("approved");
        done["approvals"]!.AsArray().Count.ShouldBe(2);
        produced["channel"]!.GetValue<string>().ShouldBe("production");

        // The signature verifies with the published key, independently of the server's code, and the boot service hands it to the agent.
        var signature = produced["signature"]!.GetValue<string>();
        using (var key = ECDsa.Create())
        {
            key.ImportFromPem(publicKey);
            key.VerifyHash(Convert.FromHexString(image), Convert.FromBase64String(signature)).ShouldBeTrue();
        }

        new ArtifactStoreCatalog(Path.Combine(server.DataDirectory, "artifacts", "sha256")).Find(image)!.Signature.ShouldBe(signature);
        audit.ShouldContain(a => a.Contains("promotion-requested", StringComparison.Ordinal) && a.Contains("passed the matrix", StringComparison.Ordinal) && a.StartsWith("builder-", StringComparison.Ordinal));
        audit.ShouldContain(a => a.Contains("promotion-approval", StringComparison.Ordinal) && a.Contains("1 of 2", StringComparison.Ordinal));
        audit.Count(a => a.Contains(" image-signed ", StringComparison.Ordinal)).ShouldBe(2);
    }

    [Fact]
    public async Task Promotions_that_cannot_be_say_why_and_change_nothing()
    {
        await using var server = await TestServer.StartAsync();
        var image = await CandidateAsync(server);
        using var builder = await server.ClientAsync(Roles.Builder);

        var unknown = await builder.PostAsJsonAsync("/api/v1/images/0000/promotions", new { }, Ct);
        var skipping = await builder.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { channel = "production" }, Ct);
        var noSuchChannel = await builder.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { channel = "prod" }, Ct);
        var first = await builder.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { }, Ct);
        var again = await builder.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { }, Ct);
        var rejected = await JsonAsync(await server.Http.PostAsJsonAsync($"/api/v1/promotions/{(await JsonAsync(first))["id"]}/reject", new { comment = "kernel regression" }, Ct));
        var still = await server.GetJsonAsync($"/api/v1/images/{image}");

        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        skipping.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await skipping.Content.ReadAsStringAsync(Ct)).ShouldContain("it can go to staging only");
        (await noSuchChannel.Content.ReadAsStringAsync(Ct)).ShouldContain("candidate → staging → production");
        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        rejected["state"]!.GetValue<string>().ShouldBe("rejected");
        still["channel"]!.GetValue<string>().ShouldBe("candidate");
        still["signature"].ShouldBeNull();
    }

    [Fact]
    public async Task An_emergency_needs_one_approval_with_a_reason_and_its_approval_lapses()
    {
        await using var server = await TestServer.StartAsync(configure: o => o with { Channels = "production:3", EmergencyApprovalLifetime = TimeSpan.FromHours(6) });
        var image = await CandidateAsync(server);
        using var builder = await server.ClientAsync(Roles.Builder);
        using var approver = await server.ClientAsync(Roles.Approver);

        var silent = await builder.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { emergency = true }, Ct);
        var asked = await JsonAsync(await builder.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { emergency = true, comment = "CVE-2026-0001 in openssl" }, Ct));
        var bare = await approver.PostAsJsonAsync($"/api/v1/promotions/{asked["id"]}/approve", new { }, Ct);
        var approved = await JsonAsync(await approver.PostAsJsonAsync($"/api/v1/promotions/{asked["id"]}/approve", new { comment = "patch verified on staging host" }, Ct));
        var audit = (await server.GetJsonAsync("/api/v1/audit")).AsArray().Select(a => a!["action"]!.GetValue<string>()).ToList();

        silent.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        asked["approvalsNeeded"]!.GetValue<int>().ShouldBe(1, "an emergency takes one approval, not production's three");
        bare.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        approved["state"]!.GetValue<string>().ShouldBe("approved");
        var lapses = approved["expiresAt"]!.GetValue<DateTime>() - approved["decidedAt"]!.GetValue<DateTime>();
        lapses.ShouldBe(TimeSpan.FromHours(6));
        audit.ShouldContain("EMERGENCY promotion-requested");
        audit.ShouldContain("EMERGENCY promotion-approved");
    }
}
