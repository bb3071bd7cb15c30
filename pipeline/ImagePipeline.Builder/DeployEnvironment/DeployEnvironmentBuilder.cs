using System.Security.Cryptography;
using System.Text;
using ImagePipeline.Builder.Boot;
using ImagePipeline.Builder.Stages;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.DeployEnvironment;

/// <summary>
/// Builds the deploy environment the boot service netboots machines into: the generic Debian
/// kernel (it has the NIC drivers the cloud kernel lacks) and an initramfs holding busybox, the
/// storage, NIC and filesystem modules, a DHCP client and, when given, the agent. It reuses the
/// busybox base stage (and its cache) of image builds. Output: <c>vmlinuz</c> and
/// <c>initrd.img</c>, each replaced atomically.
/// </summary>
public sealed class DeployEnvironmentBuilder(BuildOptions options, IBuildObserver observer)
{
    public const string KernelFile = "vmlinuz";
    public const string InitrdFile = "initrd.img";
    public const string AgentPath = "bin/imagepipe-agent";
    private const string CaBundle = "/etc/ssl/certs/ca-certificates.crt";

    private const string RecipeYaml = """
        name: deploy-environment
        base: busybox
        kernel: linux-image-amd64
        """;

    /// <summary>Storage for every disk bus, NICs from QEMU's models to common server ones, the filesystems the agent touches.</summary>
    private static readonly string[] Modules =
    [
        "virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "ahci", "ata_piix", "nvme", "megaraid_sas", "mpt3sas",
        "virtio_net", "e1000", "e1000e", "igb", "igc", "ixgbe", "i40e", "ice", "8139cp", "8139too", "r8169", "tg3", "bnx2", "bnx2x", "bnxt_en",
        "mlx4_en", "mlx5_core", "vmxnet3", "ena",
        "crc32c_generic", "crc32c_intel", "ext4", "vfat", "nls_cp437", "nls_ascii", "nls_iso8859_1", "efivarfs",
    ];

    /// <param name="outputDirectory">where vmlinuz and initrd.img go (the boot service serves them from files/deploy)</param>
    public async Task<DeployEnvironmentResult> BuildAsync(string outputDirectory, DeployEnvironmentSpec spec, CancellationToken cancellationToken = default)
    {
        var (agentBinary, trustKeyPem, allowUnsigned) = spec;
        if (Environment.UserName != "root")
            throw new BuildStepException("setup", "id -u", "building the deploy environment needs root (mmdebstrap --mode=root); run it as root", "");
        if (agentBinary is not null && !File.Exists(agentBinary))
            throw new FileNotFoundException($"the agent binary '{agentBinary}' does not exist; publish it first (dotnet publish agent/ImagePipeline.Agent)");
        using var session = BuildSession.Open(options with { ReportAgent = null }, RecipeParser.Parse(RecipeYaml, "(built-in deploy environment)"), "deploy-environment", observer,
            DateTimeOffset.UtcNow, cancellationToken);
        var context = session.Context;
        observer.StageStarted(BaseRootfsStage.Name);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (basePath, hit) = await BaseRootfsStage.RunAsync(context, options.Refresh);
        observer.StageFinished(BaseRootfsStage.Name, watch.Elapsed, hit);

        observer.StageStarted("initramfs");
        watch.Restart();
        var tree = Path.Combine(basePath, BaseRootfsStage.TreeDirectory);
        var kernelVersion = (await File.ReadAllTextAsync(Path.Combine(basePath, BaseRootfsStage.KernelFile), cancellationToken)).Trim();
        Directory.CreateDirectory(outputDirectory);
        var initrdTemp = Path.Combine(outputDirectory, $".{InitrdFile}.{Environment.ProcessId}.tmp");
        var kernelTemp = Path.Combine(outputDirectory, $".{KernelFile}.{Environment.ProcessId}.tmp");
        try
        {
            await WriteInitramfsAsync(context, tree, kernelVersion, agentBinary, trustKeyPem, allowUnsigned, initrdTemp);
            File.Copy(Path.Combine(tree, "boot", $"vmlinuz-{kernelVersion}"), kernelTemp, overwrite: true);
            File.Move(kernelTemp, Path.Combine(outputDirectory, KernelFile), overwrite: true);
            File.Move(initrdTemp, Path.Combine(outputDirectory, InitrdFile), overwrite: true);
        }
        finally
        {
            File.Delete(initrdTemp);
            File.Delete(kernelTemp);
        }

        observer.StageFinished("initramfs", watch.Elapsed, false);
        var initrd = Path.Combine(outputDirectory, InitrdFile);
        return new DeployEnvironmentResult(Path.Combine(outputDirectory, KernelFile), initrd, kernelVersion, new FileInfo(initrd).Length, agentBinary is not null);
    }

    private static async Task WriteInitramfsAsync(BuildContext context, string tree, string kernelVersion, string? agentBinary, string? trustKeyPem,
        bool allowUnsigned, string target)
    {
        await using var output = new FileStream(target, FileMode.Create, FileAccess.Write);
        var cpio = new CpioNewcWriter(output, context.SourceDateEpoch);
        await BusyboxInitramfs.WriteBusyboxSystemAsync(context, cpio, tree, kernelVersion, Modules, ["run", "tmp"]);
        cpio.File("etc/udhcpc.script", Encoding.UTF8.GetBytes(EmbeddedFiles.Read("Stages/busybox-udhcpc.script")), 0b111_101_101);
        cpio.Symlink("etc/resolv.conf", "/run/resolv.conf");
        cpio.Directory("etc/imagepipeline");
        if (trustKeyPem is not null)
            cpio.File("etc/imagepipeline/trust.pem", Encoding.ASCII.GetBytes(trustKeyPem), 0b110_100_100);
        if (allowUnsigned)
            cpio.File("etc/imagepipeline/allow-unsigned", Encoding.ASCII.GetBytes("built with --allow-unsigned\n"), 0b110_100_100);
        if (agentBinary is not null)
        {
            cpio.File(AgentPath, await File.ReadAllBytesAsync(agentBinary, context.CancellationToken), 0b111_101_101);
            cpio.Directory("lib64");
            cpio.Directory("lib/x86_64-linux-gnu");
            string[] libraries = [.. Agent.AgentFiles.Glibc, .. Agent.AgentFiles.OpenSsl];
            Agent.AgentFiles.CheckPresent(libraries);
            foreach (var library in libraries)
                cpio.File(library.TrimStart('/'), await File.ReadAllBytesAsync(library, context.CancellationToken), 0b111_101_101);

            // For images served over HTTPS: the CA bundle OpenSSL (and so .NET) verifies servers with.
            if (File.Exists(CaBundle))
            {
                foreach (var dir in new[] { "etc/ssl", "etc/ssl/certs" })
                    cpio.Directory(dir);
                cpio.File(CaBundle.TrimStart('/'), await File.ReadAllBytesAsync(CaBundle, context.CancellationToken), 0b110_100_100);
            }
        }
        cpio.File("init", Encoding.UTF8.GetBytes(EmbeddedFiles.Read("DeployEnvironment/deploy-init.sh")), 0b111_101_101);
        cpio.Finish();
        context.Log.Line($"deploy initramfs: agent {(agentBinary is null ? "absent" : Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(agentBinary, context.CancellationToken))))}");
    }
}
