using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace ImagePipeline.Server.Sources;

/// <summary>
/// A bare mirror of a recipe source (<c>git clone --mirror</c>, then <c>git fetch</c>), read at
/// exact commits: which files a commit touched, a file's content, the whole tree exported for a
/// build. Git runs through CliWrap like every external tool; nothing is ever checked out in place.
/// </summary>
public sealed class GitMirror
{
    private GitMirror(string directory) => Directory = directory;

    public string Directory { get; }

    /// <summary>
    /// Creates the mirror, or brings it up to date with the source's branches. A clone or fetch that
    /// takes longer than <paramref name="timeout"/> is killed and fails the job (a remote that hangs
    /// must not hold a worker, and the mirror's lock, forever); waiting for another process's
    /// fetch of the same mirror gives up after twice that.
    /// </summary>
    public static async Task<GitMirror> SyncAsync(string url, string directory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var writer = await MirrorLock.AcquireAsync(directory, timeout * 2, cancellationToken);
        if (!System.IO.Directory.Exists(Path.Combine(directory, "refs")))
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(directory)!);
            var temporary = directory + ".cloning";
            if (System.IO.Directory.Exists(temporary))
                System.IO.Directory.Delete(temporary, recursive: true);
            await GitAsync(null, ["clone", "--mirror", "--quiet", url, temporary], $"cloning {url}", cancellationToken, timeout);
            System.IO.Directory.Move(temporary, directory);
        }
        else
        {
            await GitAsync(directory, ["fetch", "--prune", "--quiet", "origin"], $"fetching {url}", cancellationToken, timeout);
        }

        return new GitMirror(directory);
    }

    /// <summary>
    /// A mirror that holds <paramref name="commit"/>: as it is when it has it already (a run's
    /// commit was fetched by the sync that created the run), fetched otherwise. Commits never
    /// change, so a second fetch for the same one is work done twice.
    /// </summary>
    public static async Task<GitMirror> WithCommitAsync(string url, string directory, string commit, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (System.IO.Directory.Exists(Path.Combine(directory, "refs")))
        {
            var existing = new GitMirror(directory);
            if (await existing.HasCommitAsync(commit, cancellationToken))
                return existing;
        }

        return await SyncAsync(url, directory, timeout, cancellationToken);
    }

    /// <summary>The commit a branch points at.</summary>
    public async Task<string> ResolveAsync(string branch, CancellationToken cancellationToken) =>
        (await GitAsync(Directory, ["rev-parse", "--verify", "--quiet", $"refs/heads/{branch}^{{commit}}"], $"branch {branch}", cancellationToken)).Trim();

    public async Task<bool> HasCommitAsync(string commit, CancellationToken cancellationToken)
    {
        var result = await Cli.Wrap("git").WithArguments(["-C", Directory, "cat-file", "-e", $"{commit}^{{commit}}"])
            .WithValidation(CommandResultValidation.None).ExecuteAsync(cancellationToken);
        return result.ExitCode == 0;
    }

    /// <summary>Whether <paramref name="ancestor"/> is <paramref name="descendant"/> or in its history (git merge-base --is-ancestor).</summary>
    public async Task<bool> IsAncestorAsync(string ancestor, string descendant, CancellationToken cancellationToken)
    {
        var result = await Cli.Wrap("git").WithArguments(["-C", Directory, "merge-base", "--is-ancestor", ancestor, descendant])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
        return result.ExitCode switch
        {
            0 => true,
            1 => false,
            _ => throw new GitException($"git: is {ancestor} an ancestor of {descendant}? failed (exit {result.ExitCode}): {result.StandardError.Trim()}"),
        };
    }

    public async Task<IReadOnlyList<string>> ListFilesAsync(string commit, CancellationToken cancellationToken) =>
        Lines(await GitAsync(Directory, ["ls-tree", "-r", "--name-only", commit], $"files of {commit}", cancellationToken));

    public async Task<IReadOnlyList<string>> ChangedFilesAsync(string from, string to, CancellationToken cancellationToken) =>
        Lines(await GitAsync(Directory, ["diff", "--name-only", from, to], $"changes {from[..Math.Min(12, from.Length)]}..{to[..Math.Min(12, to.Length)]}", cancellationToken));

    public Task<string> ReadFileAsync(string commit, string path, CancellationToken cancellationToken) =>
        GitAsync(Directory, ["show", $"{commit}:{path}"], $"{path} at {commit}", cancellationToken);

    /// <summary>The tree of a commit written out into <paramref name="target"/> (git archive | tar).</summary>
    public async Task ExportAsync(string commit, string target, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(target);
        var errors = new StringBuilder();
        var result = await (Cli.Wrap("git").WithArguments(["-C", Directory, "archive", "--format=tar", commit]).WithStandardErrorPipe(PipeTarget.ToStringBuilder(errors))
                | Cli.Wrap("tar").WithArguments(["-x", "-C", target]).WithStandardErrorPipe(PipeTarget.ToStringBuilder(errors)))
            .WithValidation(CommandResultValidation.None).ExecuteAsync(cancellationToken);
        if (result.ExitCode != 0)
            throw new GitException($"exporting {commit} failed: {errors.ToString().Trim()}");
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<string> GitAsync(string? directory, string[] arguments, string what, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        string[] all = directory is null ? arguments : ["-C", directory, .. arguments];
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } most)
            limit.CancelAfter(most);
        BufferedCommandResult result;
        try
        {
            result = await Cli.Wrap("git").WithArguments(all).WithEnvironmentVariables(e => e.Set("GIT_TERMINAL_PROMPT", "0"))
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GitException($"git: {what} did not finish within {timeout!.Value.TotalSeconds:0} s (killed): is the remote reachable and answering? (--git-timeout)");
        }

        return result.ExitCode == 0
            ? result.StandardOutput
            : throw new GitException($"git: {what} failed (exit {result.ExitCode}): {result.StandardError.Trim()}");
    }
}
