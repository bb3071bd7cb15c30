using System.Net;
using System.Net.Http.Json;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Fleet;
using ImagePipeline.Server.State;
using ImagePipeline.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Server.Tests.Fleet;

/// <summary>A copy of the database alone does not give away the BMC passwords of the fleet.</summary>
public sealed class BmcPasswordsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(TestServer.Stores), MemberType = typeof(TestServer))]
    public async Task A_registered_BMC_password_is_stored_sealed_and_plain_ones_from_before_are_sealed(string store)
    {
        await using var server = await TestServer.StartAsync(store);
        using var operatorClient = await server.ClientAsync(Roles.Operator);
        var passwords = server.Services.GetRequiredService<BmcPasswords>();
        var databases = server.Services.GetRequiredService<IDbContextFactory<PipelineDb>>();

        (await operatorClient.PostAsJsonAsync("/api/v1/machines", new
        {
            name = "web-1", mac = "52:54:00:aa:00:01", variant = "bios-virtio", bmcUrl = "http://127.0.0.1:9", bmcSystem = "/redfish/v1/Systems/1",
            bmcUser = "admin", bmcPassword = "bmc-secret-one",
        }, Ct)).StatusCode.ShouldBe(HttpStatusCode.Created);
        await using (var db = await databases.CreateDbContextAsync(Ct))
        {
            // A row written before sealing existed.
            db.Machines.Add(new Machine { Name = "old-1", Mac = "52:54:00:aa:00:02", Variant = "bios-virtio", BmcUrl = "http://127.0.0.1:9", BmcSystem = "/redfish/v1/Systems/2",
                BmcUser = "admin", BmcPassword = "bmc-secret-two", CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync(Ct);
        }

        await passwords.SealStoredAsync(databases, Ct);

        await using var check = await databases.CreateDbContextAsync(Ct);
        var stored = await check.Machines.OrderBy(m => m.Name).Select(m => m.BmcPassword!).ToListAsync(Ct);
        stored.ShouldAllBe(p => p.StartsWith(BmcPasswords.Prefix) && !p.Contains("bmc-secret"));
        stored.Select(passwords.Open).ShouldBe(["bmc-secret-two", "bmc-secret-one"]);
        (await server.Http.GetStringAsync("/api/v1/machines", Ct)).ShouldNotContain("bmc-secret");
    }
}
