using CliWrap;
using CliWrap.Buffered;

namespace ImagePipeline.Builder.Tests.Support;

/// <summary>Runs the reference tools tests check our output with (sfdisk, fsck, debugfs).</summary>
public static class Processes
{
    public static async Task<BufferedCommandResult> RunAsync(string program, params string[] arguments) =>
        await CliWrap.Cli.Wrap(program).WithArguments(arguments).WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);

    /// <summary>As <see cref="RunAsync"/>, with <paramref name="input"/> on standard input (an sfdisk script).</summary>
    public static async Task<BufferedCommandResult> RunWithInputAsync(string input, string program, params string[] arguments) =>
        await CliWrap.Cli.Wrap(program).WithArguments(arguments).WithStandardInputPipe(PipeSource.FromString(input)).WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);
}
