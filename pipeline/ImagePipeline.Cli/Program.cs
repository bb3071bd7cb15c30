using System.CommandLine;
using ImagePipeline.Cli.Verbs;

var root = new RootCommand("imagepipe — build golden OS images, validate them in QEMU, roll them out to bare metal.");
root.Subcommands.Add(BuildVerb.Create());
root.Subcommands.Add(ImportVerb.Create());
root.Subcommands.Add(RecipeVerb.Create());
root.Subcommands.Add(ValidateVerb.Create());
root.Subcommands.Add(BuildDeployEnvVerb.Create());
root.Subcommands.Add(BootsvcVerb.Create());
root.Subcommands.Add(BenchVerb.Create());
root.Subcommands.Add(LabVerb.Create());
root.Subcommands.Add(ServerVerb.Create());
root.Subcommands.Add(TriggerVerb.Create());
root.Subcommands.Add(DemoVerb.Create());
root.Subcommands.Add(GcVerb.Create());
// A lab or a validation run takes VMs and namespaces down after Ctrl-C or SIGTERM: give it the time.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(90) });

/// <summary>The CLI's entry point, public so that tests can name its assembly (WebApplicationFactory needs an entry point's).</summary>
public partial class Program;
