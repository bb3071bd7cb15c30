using ImagePipeline.Recipes;

namespace ImagePipeline.Recipes.Tests;

/// <summary>
/// The attack of the security review: a recipe pushed to a repository names, as a <c>source:</c>,
/// a file of the build server (its signing key) by an absolute path, by '..' or through a symlink
/// committed to the repository. Each must be refused with a lint error; the file is never read.
/// </summary>
public sealed class RecipeSourceConfinementTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("recipe-jail-");
    private readonly string repository;
    private readonly string secret;

    public RecipeSourceConfinementTests()
    {
        repository = Path.Combine(dir.FullName, "repo");
        Directory.CreateDirectory(Path.Combine(repository, ".git"));
        Directory.CreateDirectory(Path.Combine(repository, "recipes"));
        Directory.CreateDirectory(Path.Combine(repository, "files"));
        File.WriteAllText(Path.Combine(repository, "files", "motd"), "welcome\n");
        secret = Path.Combine(dir.FullName, "signing-key.pem");
        File.WriteAllText(secret, "-----BEGIN PRIVATE KEY-----\nsecret\n");
    }

    public void Dispose() => dir.Delete(recursive: true);

    private string Recipe(string source) => WriteRecipe($"name: web\nbase: busybox\nfiles:\n  - path: /etc/x\n    source: {source}\n");

    private string WriteRecipe(string yaml)
    {
        var path = Path.Combine(repository, "recipes", "web.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private string SingleError(string source) =>
        Should.Throw<RecipeLintException>(() => RecipeParser.Load(Recipe(source))).Errors.ShouldHaveSingleItem().Message;

    [Fact]
    public void An_absolute_source_is_refused()
    {
        SingleError(secret).ShouldContain("is absolute; give a path relative to the recipe file");
    }

    [Fact]
    public void Dot_dot_out_of_the_repository_is_refused()
    {
        SingleError("../../signing-key.pem").ShouldContain("leads outside the recipe's repository");
    }

    [Fact]
    public void A_committed_symlink_to_a_file_outside_is_refused()
    {
        File.CreateSymbolicLink(Path.Combine(repository, "recipes", "key"), secret);
        File.CreateSymbolicLink(Path.Combine(repository, "recipes", "relative-key"), "../../signing-key.pem");

        SingleError("key").ShouldContain("leads outside");
        SingleError("relative-key").ShouldContain("leads outside");
    }

    [Fact]
    public void A_symlinked_directory_leading_out_is_refused()
    {
        Directory.CreateSymbolicLink(Path.Combine(repository, "recipes", "host"), "/");

        SingleError("host/etc/hostname").ShouldContain("leads outside");
    }

    [Fact]
    public void A_proc_magic_link_is_refused()
    {
        Directory.CreateSymbolicLink(Path.Combine(repository, "recipes", "self"), "/proc/self/root");

        SingleError("self/etc/hostname").ShouldContain("leads outside");
    }

    [Fact]
    public void A_fifo_is_refused_instead_of_read_forever()
    {
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(repository, "files", "pipe")))
            mkfifo.WaitForExit();

        SingleError("../files/pipe").ShouldContain("is not a regular file");
    }

    [Fact]
    public void Sources_inside_the_repository_are_read_through_dot_dot_and_symlinks_that_stay_inside()
    {
        File.CreateSymbolicLink(Path.Combine(repository, "recipes", "motd-link"), "../files/motd");
        var recipe = RecipeParser.Load(WriteRecipe(
            "name: web\nbase: busybox\nfiles:\n  - path: /etc/motd\n    source: ../files/motd\n  - path: /etc/issue\n    source: motd-link\n"));

        recipe.Files.Select(f => System.Text.Encoding.UTF8.GetString(f.ReadBytes())).ShouldBe(["welcome\n", "welcome\n"]);
        recipe.Files.ShouldAllBe(f => f.SourceRoot == repository);
    }

    [Fact]
    public void A_source_swapped_for_a_symlink_after_linting_is_refused_when_read()
    {
        var motd = Path.Combine(repository, "files", "motd");
        var recipe = RecipeParser.Load(Recipe("../files/motd"));
        File.Delete(motd);
        File.CreateSymbolicLink(motd, secret);

        var refusal = Should.Throw<ConfinedFileException>(() => recipe.Files.Single().ReadBytes());

        refusal.Message.ShouldContain("leads outside");
        refusal.Message.ShouldNotContain("secret");
    }

    [Fact]
    public void Outside_git_the_recipe_directory_is_the_root()
    {
        var loose = Directory.CreateDirectory(Path.Combine(dir.FullName, "loose")).FullName;
        File.WriteAllText(Path.Combine(dir.FullName, "beside"), "x\n");
        var path = Path.Combine(loose, "web.yaml");
        File.WriteAllText(path, "name: web\nbase: busybox\nfiles:\n  - path: /etc/x\n    source: ../beside\n");

        Should.Throw<RecipeLintException>(() => RecipeParser.Load(path)).Errors.ShouldHaveSingleItem().Message.ShouldContain($"leads outside the recipe's repository ({loose})");
    }
}
