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
        var agent = new Option<string?>("--agent") { Description = "the NativeAOT agent binary to include" };
        var output = new Option<string?>("--out") { Description = "output directory (default DATA/bootsvc/files/deploy, where the boot service serves it)" };
        var data = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        var command = new Command("build-deploy-env", "Build the deploy environment: vmlinuz and initrd.img with busybox, drivers and the agent.") { agent, output, data };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dataDirectory = DataDirectory.Resolve(parse.GetValue(data));
            var target = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(dataDirectory, "bootsvc", "files", "deploy"));
            using var observer = new ConsoleBuildObserver(Console.Out);
            try
            {
                var result = await new DeployEnvironmentBuilder(new BuildOptions { DataDirectory = dataDirectory }, observer)
                    .BuildAsync(target, parse.GetValue(agent), cancellationToken);
                Console.WriteLine($"deploy environment: {result.Kernel} (Linux {result.KernelVersion}), {result.Initrd} ({result.InitrdBytes >> 20} MiB, agent {(result.HasAgent ? "included" : "absent")})");
                return ExitCodes.Success;
            }
            catch (FileNotFoundException e)
            {
                Console.Error.WriteLine($"build-deploy-env: {e.Message}");
                return ExitCodes.InvalidInput;
            }
            catch (BuildStepException e)
            {
                Console.Error.WriteLine($"build-deploy-env: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }
}
