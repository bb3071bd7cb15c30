using System.CommandLine;
using ImagePipeline.Cli.Verbs;

var root = new RootCommand("imagepipe — build golden OS images, validate them in QEMU, roll them out to bare metal.");
root.Subcommands.Add(BuildVerb.Create());
root.Subcommands.Add(RecipeVerb.Create());
root.Subcommands.Add(ValidateVerb.Create());
root.Subcommands.Add(BuildDeployEnvVerb.Create());
root.Subcommands.Add(BootsvcVerb.Create());
root.Subcommands.Add(BenchVerb.Create());
root.Subcommands.Add(DemoVerb.Create());
return await root.Parse(args).InvokeAsync();
