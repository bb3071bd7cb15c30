using System.Diagnostics.Contracts;

namespace ImagePipeline.Validation.Machines;

/// <summary>
/// An immutable description of virtual hardware. Every <c>With*</c> returns a copy:
/// <c>QemuMachine.Create("uefi-nvme").WithFirmware(Firmware.Uefi).WithDiskBus(DiskBus.Nvme)</c>.
/// </summary>
public sealed record QemuMachine
{
    private QemuMachine(string name) => Name = name;

    public string Name { get; }
    public Firmware Firmware { get; private init; } = Firmware.Bios;
    public DiskBus DiskBus { get; private init; } = DiskBus.Virtio;
    public NicModel Nic { get; private init; } = NicModel.VirtioNet;
    public int MemoryMiB { get; private init; } = 512;
    public int Cpus { get; private init; } = 1;
    public NetworkAttachment Network { get; private init; } = NetworkAttachment.User;
    public NetworkBoot NetworkBoot { get; private init; } = NetworkBoot.None;
    public DiskCache DiskCache { get; private init; } = DiskCache.Unsafe;
    /// <summary>The NIC's MAC; QEMU's default (52:54:00:12:34:56) when unset, which machines sharing a network must not all use.</summary>
    public string? Mac { get; private init; }

    /// <summary>QEMU machine type: q35 for UEFI (OVMF expects it), pc for BIOS unless set.</summary>
    public string MachineType => ExplicitMachineType ?? (Firmware == Firmware.Uefi ? "q35" : "pc");

    private string? ExplicitMachineType { get; init; }

    public static QemuMachine Create(string name) => new(name);

    [Pure] public QemuMachine WithFirmware(Firmware firmware) => this with { Firmware = firmware };
    [Pure] public QemuMachine WithDiskBus(DiskBus bus) => this with { DiskBus = bus };
    [Pure] public QemuMachine WithNic(NicModel nic) => this with { Nic = nic };
    [Pure] public QemuMachine WithCpus(int cpus) => this with { Cpus = cpus };
    [Pure] public QemuMachine WithMachineType(string type) => this with { ExplicitMachineType = type };
    [Pure] public QemuMachine WithNetwork(NetworkAttachment network) => this with { Network = network };
    [Pure] public QemuMachine WithDiskCache(DiskCache cache) => this with { DiskCache = cache };
    [Pure] public QemuMachine WithMac(string mac) => this with { Mac = mac.ToLowerInvariant() };

    [Pure]
    public QemuMachine WithNetworkBoot(NetworkBoot boot) => boot is NetworkBoot.FirmwarePxe or NetworkBoot.FirmwareHttp && Firmware != Firmware.Uefi
        ? throw new ArgumentException($"{boot} is a UEFI firmware feature; set WithFirmware(Firmware.Uefi) first, or use NetworkBoot.IpxeRom", nameof(boot))
        : this with { NetworkBoot = boot };

    [Pure]
    public QemuMachine WithMemory(int mebibytes) => mebibytes >= 64
        ? this with { MemoryMiB = mebibytes }
        : throw new ArgumentOutOfRangeException(nameof(mebibytes), mebibytes, "a machine needs at least 64 MiB of memory to boot Linux");
}
