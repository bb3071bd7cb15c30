using System.CommandLine;
using ImagePipeline.Cli.Demo;

namespace ImagePipeline.Cli.Verbs;

/// <summary><c>imagepipe demo</c>: build → validate → approve in the web UI → roll out in waves onto six lab machines (see <see cref="DemoSession"/>).</summary>
public static class DemoVerb
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        var autoApprove = new Option<bool>("--auto-approve") { Description = "approve the candidate unattended (as the account demo-approver) and exit when the rollout ends" };
        var listen = new Option<string>("--listen") { Description = "where the server and its web UI listen", DefaultValueFactory = _ => ServerVerb.DefaultUrl };
        var command = new Command("demo", "The whole chain: build the tiny example, validate it in QEMU, approve it in the web UI, roll it out in waves onto six lab machines.")
        {
            data, autoApprove, listen,
        };
        command.SetAction((parse, cancellationToken) =>
            DemoSession.RunAsync(DataDirectory.Resolve(parse.GetValue(data)), parse.GetValue(autoApprove), parse.GetValue(listen)!, cancellationToken));
        return command;
    }
}
