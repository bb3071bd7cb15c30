using System.Text.Json.Nodes;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Profiles;
using ImagePipeline.Validation.Qemu;
using ImagePipeline.Validation.Tests.Support;

namespace ImagePipeline.Validation.Tests.Profiles;

public sealed class HardwareProfilesTests(TestImages images) : IClassFixture<TestImages>
{
    public static TheoryData<string> CatalogueNames => new(HardwareProfiles.Catalogue.Keys);

    [Fact]
    public void The_catalogue_has_the_profiles_recipes_name()
    {
        HardwareProfiles.Catalogue.Keys.ShouldBe(
            ["bios-virtio", "uefi-virtio", "uefi-nvme", "bios-sata-e1000", "uefi-sata-e1000", "bios-scsi-rtl8139", "uefi-nvme-512m"], ignoreOrder: true);
        HardwareProfiles.Get("bios-scsi-rtl8139").ShouldSatisfyAllConditions(
            m => m.Firmware.ShouldBe(Firmware.Bios), m => m.DiskBus.ShouldBe(DiskBus.Scsi), m => m.Nic.ShouldBe(NicModel.Rtl8139), m => m.MachineType.ShouldBe("pc"));
        HardwareProfiles.Get("uefi-nvme-512m").MachineType.ShouldBe("q35");
    }

    [Fact]
    public void An_unknown_profile_names_the_catalogue() =>
        Should.Throw<ArgumentException>(() => HardwareProfiles.Get("bios-floppy")).Message.ShouldContain("uefi-nvme");

    /// <summary>PCI vendor:device of what each profile must put on the bus (QEMU's ids).</summary>
    private static readonly Dictionary<string, string> Pci = new()
    {
        [nameof(NicModel.VirtioNet)] = "1af4:1000", [nameof(NicModel.E1000)] = "8086:100e", [nameof(NicModel.Rtl8139)] = "10ec:8139",
        [nameof(DiskBus.Virtio)] = "1af4:1001", [nameof(DiskBus.Sata)] = "8086:2922", [nameof(DiskBus.Nvme)] = "1b36:0010", [nameof(DiskBus.Scsi)] = "1af4:1004",
    };

    [Theory]
    [MemberData(nameof(CatalogueNames))]
    public async Task QEMU_builds_each_profile_with_its_disk_controller_NIC_firmware_and_memory(string name)
    {
        var machine = HardwareProfiles.Get(name);
        await using var vm = await QemuVm.StartAsync(machine, images.Tiny, cancellationToken: TestContext.Current.CancellationToken);

        var buses = (JsonArray)(await vm.Qmp.ExecuteAsync("query-pci", null, TestContext.Current.CancellationToken))!;
        var devices = buses.SelectMany(bus => ((JsonArray)bus!["devices"]!).Select(d => $"{(int)d!["id"]!["vendor"]!:x4}:{(int)d["id"]!["device"]!:x4}")).ToList();
        devices.ShouldContain(Pci[machine.Nic.ToString()]);
        devices.ShouldContain(Pci[machine.DiskBus.ToString()]);
        var memory = await vm.Qmp.ExecuteAsync("query-memory-size-summary", null, TestContext.Current.CancellationToken);
        ((long)memory!["base-memory"]!).ShouldBe(machine.MemoryMiB * 1024L * 1024L);
        var blocks = (JsonArray)(await vm.Qmp.ExecuteAsync("query-block", null, TestContext.Current.CancellationToken))!;
        var pflash = blocks.Count(b => ((string?)b!["device"])?.StartsWith("pflash", StringComparison.Ordinal) == true && b["inserted"] is not null);
        pflash.ShouldBe(machine.Firmware == Firmware.Uefi ? 2 : 0, "UEFI machines carry OVMF code and a private copy of its variables");
    }
}
