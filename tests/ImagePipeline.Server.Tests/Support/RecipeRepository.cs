using CliWrap;
using CliWrap.Buffered;

namespace ImagePipeline.Server.Tests.Support;

/// <summary>A real local git repository holding recipes, committed to as an operator would.</summary>
internal sealed class RecipeRepository : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("imagepipe-recipes-");

    public string Path => directory.FullName;

    /// <summary>tiny, validated on one profile to keep the pipeline short.</summary>
    /// <param name="command">a command the build runs in the image's root (a slow one keeps the build going while a test does something to the server)</param>
    public static string Tiny(string motd, string name = "tiny", string? command = null) => $$"""
        name: {{name}}
        base: busybox
        files:
          - path: /etc/shadow
            content: "root::19000:0:99999:7:::\n"
            mode: "0600"
          - path: /etc/motd
            content: "{{motd}}\n"
        {{(command is null ? "" : $"commands: [\"{command}\"]")}}
        disk: { size: 512MiB, root: ext4, esp: 64MiB }
        boot: [uefi, bios]
        validate:
          profiles: [bios-virtio]
        """;

    public static async Task<RecipeRepository> CreateAsync(string recipe = "tiny", string? command = null)
    {
        var repository = new RecipeRepository();
        await repository.GitAsync("init", "--quiet", "--initial-branch=main");
        await repository.CommitAsync(new Dictionary<string, string>
        {
            [$"recipes/{recipe}.yaml"] = Tiny($"{recipe}, first commit", recipe, command),
            ["README.md"] = "recipes\n",
            [".github/workflows/ci.yml"] = "on: push\n",
        }, "first recipes");
        return repository;
    }

    /// <summary>Writes the files and commits them; the new commit's id.</summary>
    public async Task<string> CommitAsync(IReadOnlyDictionary<string, string> files, string message)
    {
        foreach (var (path, content) in files)
        {
            var full = System.IO.Path.Combine(Path, path);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, content);
        }

        await GitAsync("add", "-A");
        await GitAsync("-c", "user.name=operator", "-c", "user.email=operator@example.org", "commit", "--quiet", "-m", message);
        return (await GitAsync("rev-parse", "HEAD")).Trim();
    }

    private async Task<string> GitAsync(params string[] arguments)
    {
        var result = await CliWrap.Cli.Wrap("git").WithArguments(["-C", Path, .. arguments]).ExecuteBufferedAsync();
        return result.StandardOutput;
    }

    public void Dispose() => directory.Delete(recursive: true);
}
