namespace ImagePipeline.Tests.Deploy;

/// <summary>
/// Removes <see cref="SharedBuildData"/>'s directory once the assembly's tests have ended: an
/// assembly fixture, so the runner waits for it. (A ProcessExit handler did this before; removing
/// a few thousand files there, on a machine busy with the other lane, outlasted xunit's
/// ten-second wait for the process to end, and the run was failed with "Foreground threads were
/// left running".) Each test project that includes tests/Shared/Deploy registers it.
/// </summary>
public sealed class SharedBuildDataRemoval : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        if (SharedBuildData.Created)
            await Task.Run(() => System.IO.Directory.Delete(SharedBuildData.DataDirectory, recursive: true));
    }
}
