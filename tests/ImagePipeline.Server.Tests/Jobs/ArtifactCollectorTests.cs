using System.Security.Cryptography;
using System.Text;
using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.State;
using ImagePipeline.Server.Tests.Api;
using ImagePipeline.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Server.Tests.Jobs;

/// <summary>The artifact store's collector never touches an image any channel or rollout refers to, nor a young one.</summary>
public sealed class ArtifactCollectorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Only_old_images_nothing_refers_to_are_removed()
    {
        await using var server = await TestServer.StartAsync();
        var store = Path.Combine(server.DataDirectory, "artifacts", "sha256");
        var candidate = await PromotionApiTests.CandidateAsync(server);
        var rolledOut = Image(store, "rolled-out");
        var rollbackTarget = Image(store, "previous");
        var orphan = Image(store, "failed-validation");
        var young = Image(store, "young");
        await using (var db = await server.Services.GetRequiredService<IDbContextFactory<PipelineDb>>().CreateDbContextAsync(Ct))
        {
            var rollout = new Rollout { ImageId = rolledOut, RecipeName = "tiny", Selector = "{}", Plan = "{}", CreatedBy = "operator", CreatedAt = DateTime.UtcNow };
            db.Rollouts.Add(rollout);
            await db.SaveChangesAsync(Ct);
            db.Set<RolloutTarget>().Add(new RolloutTarget { RolloutId = rollout.Id, Machine = "web-1", Mac = "52:54:00:aa:00:01", PreviousImage = rollbackTarget });
            await db.SaveChangesAsync(Ct);
        }

        var month = DateTime.UtcNow.AddDays(-30);
        foreach (var id in new[] { candidate, rolledOut, rollbackTarget, orphan })
            Directory.SetLastWriteTimeUtc(Path.Combine(store, id), month);

        await using var check = await server.Services.GetRequiredService<IDbContextFactory<PipelineDb>>().CreateDbContextAsync(Ct);
        var (removed, bytes) = await ArtifactCollector.CollectAsync(check, store, TimeSpan.FromDays(14), DateTime.UtcNow, Ct);

        removed.ShouldBe(1);
        bytes.ShouldBeGreaterThan(0);
        Directory.Exists(Path.Combine(store, orphan)).ShouldBeFalse();
        foreach (var id in new[] { candidate, rolledOut, rollbackTarget, young })
            Directory.Exists(Path.Combine(store, id)).ShouldBeTrue(id);
        Directory.GetDirectories(store, ".trash-*").ShouldBeEmpty();
    }

    private static string Image(string store, string seed)
    {
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}-{Guid.NewGuid()}")));
        Directory.CreateDirectory(Path.Combine(store, id));
        File.WriteAllText(Path.Combine(store, id, "disk.raw.zst"), "zstd bytes");
        return id;
    }
}
