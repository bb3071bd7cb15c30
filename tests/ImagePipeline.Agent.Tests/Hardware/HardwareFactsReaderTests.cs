using ImagePipeline.Agent.Hardware;

namespace ImagePipeline.Agent.Tests.Hardware;

public sealed class HardwareFactsReaderTests : IDisposable
{
    private readonly DirectoryInfo scratch = Directory.CreateTempSubdirectory("imagepipe-sysfs-");

    /// <summary>A tree captured with capture-sys.sh on the CI host (a QEMU/KVM guest with a virtio disk and NIC).</summary>
    private static string CiHost => Path.Combine(RepositoryLayout.Root, "tests", "ImagePipeline.Agent.Tests", "Hardware", "Captured", "ci-host");

    [Fact]
    public void A_captured_virtual_machine_reads_as_its_disk_NIC_CPU_and_memory()
    {
        var facts = new HardwareFactsReader(CiHost).Read();

        facts.Firmware.ShouldBe("bios");
        facts.Cpu.Cores.ShouldBe(2);
        facts.MemoryBytes.ShouldBe(24684084L * 1024);
        facts.Disks.Select(d => d.Name).ShouldBe(["vda"], "loop and zram devices are not disks");
        facts.Disks[0].SizeBytes.ShouldBe(536870912L * 512);
        facts.Disks[0].Serial.ShouldBe("overlayblk");
        facts.Disks[0].Rotational.ShouldBeTrue();
        facts.Nics.Select(n => (n.Name, n.Mac, n.Driver)).ShouldBe([("eth0", "02:fc:00:00:00:01", "virtio_net")], "lo and ifb are not NICs");
        new HardwareFactsReader(CiHost).MountedDisks().ShouldBe(["vda"]);
    }

    [Fact]
    public void A_server_with_NVMe_SATA_and_a_USB_stick_reads_with_each_disk_s_traits()
    {
        Write("sys/firmware/efi/.keep", "");
        Write("proc/cpuinfo", "processor\t: 0\nmodel name\t: AMD EPYC 7313P\nprocessor\t: 1\nmodel name\t: AMD EPYC 7313P\n");
        Write("proc/meminfo", "MemTotal:       131072000 kB\nMemFree: 1 kB\n");
        Write("proc/mounts", "proc /proc proc rw 0 0\n/dev/sdb1 /media/stick vfat rw 0 0\n");
        Disk("nvme0n1", 1_875_385_008, rotational: false, removable: false, model: "SAMSUNG MZQL21T9HCJR-00A07", serialUnderDevice: "S64GNE0R123456");
        Disk("sda", 7_814_037_168, rotational: true, removable: false, model: "ST4000NM000A-2HZ", serialUnderDevice: null);
        Disk("sdb", 60_063_744, rotational: false, removable: true, model: "Ultra Fit", serialUnderDevice: null);
        Write("sys/class/net/eno1/address", "3c:ec:ef:01:02:03\n");
        Write("sys/class/net/eno1/speed", "25000\n");
        Directory.CreateDirectory(Path.Combine(scratch.FullName, "sys/class/net/eno1/device"));
        File.CreateSymbolicLink(Path.Combine(scratch.FullName, "sys/class/net/eno1/device/driver"), "../../../../bus/pci/drivers/mlx5_core");
        Write("sys/class/net/eno2/address", "3c:ec:ef:01:02:04\n");
        Write("sys/class/net/eno2/speed", "-1\n");
        Directory.CreateDirectory(Path.Combine(scratch.FullName, "sys/class/net/eno2/device"));
        Write("sys/class/dmi/id/sys_vendor", "Supermicro\n");
        Write("sys/class/dmi/id/product_name", "AS -1115HS-TNR\n");
        Write("sys/class/dmi/id/product_serial", "S123456X\n");

        var reader = new HardwareFactsReader(scratch.FullName);
        var facts = reader.Read();

        facts.Firmware.ShouldBe("uefi");
        facts.Cpu.ShouldBe(new Agent.Protocol.CpuFacts("AMD EPYC 7313P", 2));
        facts.Disks.Select(d => (d.Name, d.Rotational, d.Removable)).ShouldBe([("nvme0n1", false, false), ("sda", true, false), ("sdb", false, true)]);
        facts.Disks[0].Serial.ShouldBe("S64GNE0R123456");
        facts.Disks[0].Model.ShouldBe("SAMSUNG MZQL21T9HCJR-00A07");
        facts.Nics.Select(n => (n.Name, n.Driver, n.SpeedMbps)).ShouldBe([("eno1", "mlx5_core", (int?)25000), ("eno2", null, null)]);
        facts.Dmi.ShouldBe(new Agent.Protocol.DmiFacts("Supermicro", "AS -1115HS-TNR", "S123456X"));
        reader.MountedDisks().ShouldBe(["sdb"]);
    }

    private void Disk(string name, long sectors, bool rotational, bool removable, string model, string? serialUnderDevice)
    {
        Write($"sys/block/{name}/size", $"{sectors}\n");
        Write($"sys/block/{name}/queue/rotational", rotational ? "1\n" : "0\n");
        Write($"sys/block/{name}/removable", removable ? "1\n" : "0\n");
        Write($"sys/block/{name}/device/model", model + "          \n");
        if (serialUnderDevice is not null)
            Write($"sys/block/{name}/device/serial", serialUnderDevice + "\n");
    }

    private void Write(string relative, string text)
    {
        var path = Path.Combine(scratch.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    public void Dispose() => scratch.Delete(recursive: true);
}
