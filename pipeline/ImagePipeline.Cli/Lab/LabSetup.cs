using System.Security.Cryptography;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder;
using ImagePipeline.Builder.DeployEnvironment;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Cli.Output;
using ImagePipeline.Validation.Lab;

namespace ImagePipeline.Cli.Lab;

/// <summary>What every lab of this CLI is made of — <c>lab up</c>'s, <c>validate --pxe</c>'s, the demo's, the fleet benchmark's: where it lives, its options, and the deploy environment its machines netboot into (built once, cached by agent and key).</summary>
public static class LabSetup
{
    public static string LabDirectory(string dataDirectory) => Path.Combine(dataDirectory, "lab");

    /// <summary>A lab on this data directory's artifact store, run by this very CLI: one machine per profile unless changed.</summary>
    /// <param name="adminToken">the boot service's admin token; a random one when null</param>
    public static LabOptions Options(string dataDirectory, IReadOnlyList<Validation.Machines.QemuMachine> profiles, string labDirectory, string deployEnvironment,
        string label, string? adminToken = null) => new()
        {
            Machines = profiles.Count,
            Profiles = profiles,
            Directory = labDirectory,
            ArtifactsDirectory = ArtifactStoreLayout.Root(dataDirectory),
            DeployEnvironment = deployEnvironment,
            Cli = CliLauncher.ForAssembly(typeof(LabSetup).Assembly.Location),
            AdminToken = adminToken ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            Label = label,
            Accelerator = Validation.Qemu.Accelerator.KnownOrTcg(),
        };

    public static string DeployEnvironmentDirectory(string dataDirectory) => Path.Combine(dataDirectory, "bootsvc", "files", "deploy");

    /// <summary>
    /// The deploy environment lab machines netboot into, built when missing: accepting unsigned
    /// images, or (with <paramref name="trustKeyPem"/>) writing only images signed with that key,
    /// in a directory of its own per key.
    /// </summary>
    public static async Task<string?> EnsureDeployEnvironmentAsync(string dataDirectory, CancellationToken cancellationToken, string? trustKeyPem = null)
    {
        var directory = trustKeyPem is null ? DeployEnvironmentDirectory(dataDirectory)
            : DeployEnvironmentDirectory(dataDirectory) + "-signed-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(trustKeyPem)))[..12];
        string agentBinary;
        try
        {
            agentBinary = await AgentBinary.EnsurePublishedAsync(cancellationToken);
        }
        catch (Exception e) when (e is BuildStepException or InvalidOperationException or FileNotFoundException)
        {
            Console.Error.WriteLine($"lab: the agent could not be published: {e.Message}");
            return null;
        }

        var initrd = Path.Combine(directory, "initrd.img");
        // Built, and not older than the agent it carries (a changed agent means a new environment).
        if (File.Exists(Path.Combine(directory, "vmlinuz")) && File.Exists(initrd) && File.GetLastWriteTimeUtc(initrd) >= File.GetLastWriteTimeUtc(agentBinary))
            return directory;
        Console.WriteLine($"lab: building the deploy environment into {directory} ({(trustKeyPem is null ? "unsigned images allowed" : "only images signed with the server's key")})");
        try
        {
            using var observer = new ConsoleBuildObserver(Console.Out);
            await new DeployEnvironmentBuilder(new BuildOptions { DataDirectory = dataDirectory }, observer)
                .BuildAsync(directory, new DeployEnvironmentSpec(agentBinary, trustKeyPem, AllowUnsigned: trustKeyPem is null), cancellationToken);
            return directory;
        }
        catch (Exception e) when (e is BuildStepException or InvalidOperationException or FileNotFoundException)
        {
            Console.Error.WriteLine($"lab: the deploy environment could not be built: {e.Message}");
            return null;
        }
    }
}
