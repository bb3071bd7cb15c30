using System.CommandLine;
using ImagePipeline.Builder;
using ImagePipeline.Builder.DeployEnvironment;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Cli.Output;

namespace ImagePipeline.Cli.Verbs;

/// <summary><c>imagepipe build-deploy-env</c>: the kernel and initramfs (with the agent) the boot service netboots machines into.</summary>
public static class BuildDeployEnvVerb
{
    public static Command Create()
    {
        var agent = new Option<string?>("--agent") { Description = "the NativeAOT agent binary to include (default: publish agent/ImagePipeline.Agent from this repository)" };
        var noAgent = new Option<bool>("--no-agent") { Description = "build without the agent (the environment then only brings up its network)" };
        var trustKey = new Option<string?>("--trust-key") { Description = "PEM public key (ECDSA P-256) images must be signed with" };
        var allowUnsigned = new Option<bool>("--allow-unsigned") { Description = "let the agent write unsigned images (a lab before promotion signing)" };
        var output = new Option<string?>("--out") { Description = "output directory (default DATA/bootsvc/files/deploy, where the boot service serves it)" };
        var data = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        var command = new Command("build-deploy-env", "Build the deploy environment: vmlinuz and initrd.img with busybox, drivers and the agent.")
        {
            agent, noAgent, trustKey, allowUnsigned, output, data,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dataDirectory = DataDirectory.Resolve(parse.GetValue(data));
            var target = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(dataDirectory, "bootsvc", "files", "deploy"));
            try
            {
                var agentBinary = parse.GetValue(noAgent) ? null : parse.GetValue(agent) ?? await AgentBinary.EnsurePublishedAsync(cancellationToken);
                var key = parse.GetValue(trustKey) is { } keyFile ? await File.ReadAllTextAsync(keyFile, cancellationToken) : null;
                using var observer = new ConsoleBuildObserver(Console.Out);
                var result = await new DeployEnvironmentBuilder(new BuildOptions { DataDirectory = dataDirectory }, observer)
                    .BuildAsync(target, new DeployEnvironmentSpec(agentBinary, key, parse.GetValue(allowUnsigned)), cancellationToken);
                Console.WriteLine($"deploy environment: {result.Kernel} (Linux {result.KernelVersion}), {result.Initrd} ({result.InitrdBytes >> 20} MiB, agent {(result.HasAgent ? "included" : "absent")})");
                return ExitCodes.Success;
            }
            catch (FileNotFoundException e)
            {
                Console.Error.WriteLine($"build-deploy-env: {e.Message}");
                return ExitCodes.InvalidInput;
            }
            catch (Exception e) when (e is BuildStepException or InvalidOperationException)
            {
                Console.Error.WriteLine($"build-deploy-env: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }
}
