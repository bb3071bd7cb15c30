using System.Globalization;

namespace ImagePipeline.Validation.Machines;

/// <summary>Turns a <see cref="QemuMachine"/> into a qemu-system-x86_64 command line.</summary>
public static class QemuArguments
{
    public const string OvmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd";
    public const string OvmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd";

    /// <param name="machine">the hardware</param>
    /// <param name="disk">a qcow2 overlay (never the artifact itself)</param>
    /// <param name="uefiVars">this VM's private copy of the OVMF variable store (UEFI only)</param>
    /// <param name="accelerator">tcg (default here: KVM guests hang on these hosts) or kvm</param>
    /// <param name="network">the user-mode network's extra options, for example host forwards (",hostfwd=tcp:127.0.0.1:8080-:80")</param>
    public static IReadOnlyList<string> For(QemuMachine machine, string disk, string? uefiVars, string accelerator = "tcg", string network = "")
    {
        var args = new List<string>
        {
            "-machine", $"{machine.MachineType},accel={accelerator}",
            // QEMU's default CPU model (qemu64) lacks RDRAND, which every x86 server we deploy to has
            // (since 2012): without it the guest kernel's random pool is not ready until it has
            // gathered timer jitter (8.8-17.7 s into three traced TCG boots), and the first
            // getrandom() (the agent's, sshd's) waits for it. With it, the pool is ready at boot as
            // on the real machines.
            "-cpu", "qemu64,+rdrand",
            "-m", machine.MemoryMiB.ToString(CultureInfo.InvariantCulture),
            "-smp", machine.Cpus.ToString(CultureInfo.InvariantCulture),
            "-display", "none",
            "-no-reboot",
        };
        if (machine.Firmware == Firmware.Bios)
        {
            // SeaBIOS prints to VGA only; with a serial console port it mirrors its text screen (and
            // the NIC ROM's, and boot loaders') to the serial line, as a server's console redirection
            // does: "Boot failed: not a bootable disk" and iPXE's messages reach the console log.
            args.AddRange(["-fw_cfg", $"name=etc/sercon-port,file={SerconPortFile()}"]);
        }

        if (machine.Firmware == Firmware.Uefi)
        {
            ArgumentNullException.ThrowIfNull(uefiVars);
            args.AddRange(["-drive", $"if=pflash,format=raw,unit=0,readonly=on,file={OvmfCode}", "-drive", $"if=pflash,format=raw,unit=1,file={uefiVars}"]);
        }

        var cache = machine.DiskCache == DiskCache.WriteThrough ? "writethrough" : "unsafe";
        args.AddRange(["-drive", $"file={disk},format=qcow2,if=none,id=disk0,cache={cache}"]);
        args.AddRange(machine.DiskBus switch
        {
            DiskBus.Virtio => ["-device", "virtio-blk-pci,drive=disk0,bootindex=1"],
            DiskBus.Sata => ["-device", "ahci,id=ahci0", "-device", "ide-hd,drive=disk0,bus=ahci0.0,bootindex=1"],
            DiskBus.Nvme => ["-device", "nvme,drive=disk0,serial=imagepipe0,bootindex=1"],
            DiskBus.Scsi => ["-device", "virtio-scsi-pci,id=scsi0", "-device", "scsi-hd,drive=disk0,bus=scsi0.0,bootindex=1"],
            _ => throw new ArgumentOutOfRangeException(nameof(machine), machine.DiskBus, "unknown disk bus"),
        });
        var nic = machine.Nic switch
        {
            NicModel.VirtioNet => "virtio-net-pci",
            NicModel.E1000 => "e1000",
            NicModel.Rtl8139 => "rtl8139",
            _ => throw new ArgumentOutOfRangeException(nameof(machine), machine.Nic, "unknown NIC model"),
        };
        var netdev = machine.Network switch
        {
            NetworkAttachment.TapNetwork tap => $"tap,id=net0,ifname={tap.Device},script=no,downscript=no",
            _ => "user,id=net0" + network,
        };
        var device = $"{nic},netdev=net0,id=nic0" + (machine.Mac is null ? "" : $",mac={machine.Mac}");
        device += machine.NetworkBoot switch
        {
            // romfile= keeps the NIC's PXE ROM out of the boot order: these machines boot their disk.
            NetworkBoot.None => ",romfile=",
            NetworkBoot.IpxeRom => ",bootindex=0",
            _ => ",romfile=,bootindex=0",
        };
        if (machine.NetworkBoot == NetworkBoot.IpxeRom && machine.Firmware == Firmware.Uefi)
        {
            // The NIC's iPXE ROM is the network boot. OVMF's own network stack would add PXE and
            // HTTP boot options of its own after it, which a local-disk `exit` from the script
            // walks through before the disk: an HTTP boot that fetches iPXE and the script again,
            // then an IPv6 one that times out (30 s of a reboot instead of 13 s). Without OVMF's IP
            // stacks only the ROM's option and the disk are left.
            args.AddRange(["-fw_cfg", "name=opt/org.tianocore/IPv4Support,string=n", "-fw_cfg", "name=opt/org.tianocore/IPv6Support,string=n"]);
        }

        if (machine.NetworkBoot == NetworkBoot.FirmwareHttp)
        {
            // OVMF tries PXE before HTTP boot on the same NIC; with PXE off it goes straight to HTTP.
            args.AddRange(["-fw_cfg", "name=opt/org.tianocore/IPv4PXESupport,string=n", "-fw_cfg", "name=opt/org.tianocore/IPv6PXESupport,string=n"]);
        }

        args.AddRange(["-netdev", netdev, "-device", device]);
        return args;
    }

    /// <summary>SeaBIOS reads etc/sercon-port as a little-endian integer: the I/O port of COM1 (0x3f8), in a file shared by every VM.</summary>
    private static string SerconPortFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "imagepipe-seabios-sercon-port");
        if (!File.Exists(path) || File.ReadAllBytes(path) is not [0xf8, 0x03])
        {
            var temporary = $"{path}.{Environment.ProcessId}.tmp";
            File.WriteAllBytes(temporary, [0xf8, 0x03]);
            File.Move(temporary, path, overwrite: true);
        }

        return path;
    }
}
