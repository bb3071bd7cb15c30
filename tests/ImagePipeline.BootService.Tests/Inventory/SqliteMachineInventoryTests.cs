using System.Net;
using ImagePipeline.BootService.Contract;
using ImagePipeline.BootService.Inventory;
using ImagePipeline.BootService.Tests.Support;

namespace ImagePipeline.BootService.Tests.Inventory;

public sealed class SqliteMachineInventoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_machine_walks_its_lifecycle_and_every_step_is_in_its_history_after_a_restart()
    {
        await using var store = await TemporaryInventory.CreateAsync();
        var inventory = store.Inventory;

        await inventory.DiscoverAsync("52-54-00-AA-00-01", Ct);
        await inventory.SetDesiredImageAsync("52:54:00:aa:00:01", "image-a", Ct);
        await inventory.TransitionAsync("52:54:00:aa:00:01", MachineState.Deploying, "netboot", null, Ct);
        await inventory.TransitionAsync("52:54:00:aa:00:01", MachineState.Booting, "written", m => m with { CurrentImage = "image-a" }, Ct);
        await inventory.TransitionAsync("52:54:00:aa:00:01", MachineState.Healthy, "report", null, Ct);
        await store.ReopenAsync();

        var machine = (await store.Inventory.GetByMacAsync("52:54:00:aa:00:01", Ct))!;
        var events = await store.Inventory.EventsAsync("52:54:00:aa:00:01", Ct);
        machine.State.ShouldBe(MachineState.Healthy);
        machine.CurrentImage.ShouldBe("image-a");
        machine.NeedsDeploy.ShouldBeFalse();
        events.Select(e => e.Kind).ShouldBe(["discovered", "desired-image", "deploying", "booting", "healthy"]);
        events[3].From.ShouldBe(MachineState.Deploying);
        events[3].To.ShouldBe(MachineState.Booting);
    }

    [Fact]
    public async Task A_forbidden_transition_is_refused_and_nothing_changes()
    {
        await using var store = await TemporaryInventory.CreateAsync();
        await store.Inventory.DiscoverAsync("52:54:00:aa:00:02", Ct);

        var error = await Should.ThrowAsync<InvalidTransitionException>(() =>
            store.Inventory.TransitionAsync("52:54:00:aa:00:02", MachineState.Healthy, "no", m => m with { CurrentImage = "x" }, Ct));

        error.Message.ShouldContain("cannot go from Discovered to Healthy");
        var machine = (await store.Inventory.GetByMacAsync("52:54:00:aa:00:02", Ct))!;
        machine.State.ShouldBe(MachineState.Discovered);
        machine.CurrentImage.ShouldBeNull();
        (await store.Inventory.EventsAsync("52:54:00:aa:00:02", Ct)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_token_names_its_machine_until_a_new_one_is_issued()
    {
        await using var store = await TemporaryInventory.CreateAsync();
        await store.Inventory.DiscoverAsync("52:54:00:aa:00:03", Ct);
        await store.Inventory.DiscoverAsync("52:54:00:aa:00:04", Ct);

        var first = await store.Inventory.IssueTokenAsync("52:54:00:aa:00:03", null, Ct);
        var other = await store.Inventory.IssueTokenAsync("52:54:00:aa:00:04", null, Ct);
        var firstMachine = await store.Inventory.AuthenticateAsync(first, null, Ct);
        var second = await store.Inventory.IssueTokenAsync("52:54:00:aa:00:03", null, Ct);

        firstMachine!.Mac.ShouldBe("52:54:00:aa:00:03");
        (await store.Inventory.AuthenticateAsync(other, null, Ct))!.Mac.ShouldBe("52:54:00:aa:00:04");
        (await store.Inventory.AuthenticateAsync(first, null, Ct)).ShouldBeNull();
        (await store.Inventory.AuthenticateAsync(second, null, Ct))!.Mac.ShouldBe("52:54:00:aa:00:03");
        (await store.Inventory.AuthenticateAsync("not-a-token", null, Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task Machines_are_found_by_the_address_DHCP_gave_them()
    {
        await using var store = await TemporaryInventory.CreateAsync();
        await store.Inventory.DiscoverAsync("52:54:00:aa:00:05", Ct);

        await store.Inventory.RecordAddressAsync("52:54:00:aa:00:05", IPAddress.Parse("10.0.0.130"), "uefi", Ct);

        var machine = (await store.Inventory.GetByAddressAsync(IPAddress.Parse("10.0.0.130"), Ct))!;
        machine.Mac.ShouldBe("52:54:00:aa:00:05");
        machine.Firmware.ShouldBe("uefi");
        (await store.Inventory.GetByAddressAsync(IPAddress.Parse("10.0.0.131"), Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task A_bad_MAC_is_refused_with_the_expected_spelling()
    {
        await using var store = await TemporaryInventory.CreateAsync();

        var error = await Should.ThrowAsync<ArgumentException>(() => store.Inventory.DiscoverAsync("52:54:00", Ct));

        error.Message.ShouldContain("52:54:00:12:34:56");
    }

    // A boot database written before the last write was recorded (schema 2) is upgraded in place
    // through schemas 3 and 4 (in-place updates): its machines kept, the new columns empty until the next write.
    [Fact]
    public async Task A_schema_2_database_is_upgraded_keeping_its_machines_and_records_the_next_write()
    {
        await using var store = await TemporaryInventory.CreateAsync();
        await store.Inventory.DiscoverAsync("52:54:00:aa:00:09", Ct);
        await store.Database.ExecuteAsync(async (c, ct) =>
        {
            await using var command = c.CreateCommand();
            command.CommandText = "ALTER TABLE machines DROP COLUMN last_deploy_method; ALTER TABLE machines DROP COLUMN last_deploy_bytes; "
                + "ALTER TABLE machines DROP COLUMN desired_mode; ALTER TABLE machines DROP COLUMN slot; ALTER TABLE machines DROP COLUMN desired_health; UPDATE schema_version SET version = 2";
            return await command.ExecuteNonQueryAsync(ct);
        }, Ct);

        await store.ReopenAsync();
        var kept = (await store.Inventory.GetByMacAsync("52:54:00:aa:00:09", Ct)).ShouldNotBeNull();
        await store.Inventory.UpdateAsync("52:54:00:aa:00:09", "written", "by delta", m => m with { LastDeploy = new LastDeploy("delta", 22_937_600), Slot = "b" }, Ct);
        await store.Inventory.SetDesiredImageAsync("52:54:00:aa:00:09", new string('e', 64), Ct, DeployModes.InPlace);
        await store.Inventory.DiscoverAsync("52:54:00:aa:00:0a", Ct);
        await store.Inventory.SetDesiredImageAsync("52:54:00:aa:00:0a", new string('e', 64), Ct, health: [new HealthProbe(HealthProbe.Http, 80, "/healthz")]);
        await store.ReopenAsync();

        (kept.LastDeploy, kept.DesiredMode, kept.Slot, kept.DesiredHealth).ShouldBe((null, null, null, null));
        var upgraded = (await store.Inventory.GetByMacAsync("52:54:00:aa:00:09", Ct))!;
        (upgraded.LastDeploy, upgraded.DesiredMode, upgraded.Slot).ShouldBe((new LastDeploy("delta", 22_937_600), DeployModes.InPlace, "b"));
        (await store.Inventory.GetByMacAsync("52:54:00:aa:00:0a", Ct))!.DesiredHealth.ShouldBe([new HealthProbe(HealthProbe.Http, 80, "/healthz")]);
    }
}
