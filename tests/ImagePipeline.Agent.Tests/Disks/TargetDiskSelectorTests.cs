using ImagePipeline.Agent.Disks;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.Agent.Writing;

namespace ImagePipeline.Agent.Tests.Disks;

public sealed class TargetDiskSelectorTests
{
    private const long GiB = 1L << 30;

    private static readonly DiskFacts Nvme = new() { Name = "nvme0n1", SizeBytes = 960 * GiB, Serial = "NVME1" };
    private static readonly DiskFacts Boot = new() { Name = "sda", SizeBytes = 240 * GiB, Serial = "SSD1" };
    private static readonly DiskFacts Data = new() { Name = "sdb", SizeBytes = 8000 * GiB, Serial = "HDD1", Rotational = true };
    private static readonly DiskFacts Stick = new() { Name = "sdc", SizeBytes = 16 * GiB, Serial = "USB1", Removable = true };
    private static readonly DiskFacts Tiny = new() { Name = "vda", SizeBytes = GiB / 2, Serial = "SMALL" };
    private static readonly IReadOnlySet<string> NoneMounted = new HashSet<string>();

    [Fact]
    public void Without_a_rule_the_smallest_fixed_disk_that_fits_is_chosen()
    {
        var chosen = TargetDiskSelector.Select([Data, Nvme, Stick, Boot, Tiny], new TargetDiskRule(), 2 * GiB, NoneMounted);

        chosen.ShouldBe(Boot);
    }

    [Fact]
    public void A_serial_or_a_path_names_the_disk()
    {
        TargetDiskSelector.Select([Nvme, Boot, Data], new TargetDiskRule(Serial: "HDD1"), 2 * GiB, NoneMounted).ShouldBe(Data);
        TargetDiskSelector.Select([Nvme, Boot, Data], new TargetDiskRule(Path: "/dev/nvme0n1"), 2 * GiB, NoneMounted).ShouldBe(Nvme);
    }

    [Fact]
    public void Removable_mounted_and_too_small_disks_are_refused_with_each_reason()
    {
        var mounted = new HashSet<string> { "sda" };

        var refused = Should.Throw<DeployRefusedException>(() => TargetDiskSelector.Select([Stick, Boot, Tiny], new TargetDiskRule(), 2 * GiB, mounted));

        refused.Message.ShouldContain("sdc 16384 MiB serial USB1: removable");
        refused.Message.ShouldContain("sda 245760 MiB serial SSD1: mounted");
        refused.Message.ShouldContain("vda 512 MiB serial SMALL: too small (512 MiB)");
    }

    [Fact]
    public void A_named_disk_that_cannot_be_written_is_refused_rather_than_another_chosen()
    {
        var refused = Should.Throw<DeployRefusedException>(() => TargetDiskSelector.Select([Stick, Boot], new TargetDiskRule(Serial: "USB1"), 2 * GiB, NoneMounted));
        var missing = Should.Throw<DeployRefusedException>(() => TargetDiskSelector.Select([Boot], new TargetDiskRule(Serial: "NOPE"), 2 * GiB, NoneMounted));

        refused.Message.ShouldContain("sdc, cannot be written: removable");
        missing.Message.ShouldContain("no disk matches serial NOPE");
    }

    [Fact]
    public void A_machine_without_disks_is_told_to_check_its_storage_drivers()
    {
        Should.Throw<DeployRefusedException>(() => TargetDiskSelector.Select([], new TargetDiskRule(), GiB, NoneMounted))
            .Message.ShouldContain("storage drivers");
    }
}
