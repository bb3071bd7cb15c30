using System.CommandLine;
using ImagePipeline.Cli.Verbs;

namespace ImagePipeline.Cli.Tests.Verbs;

/// <summary>Secrets never on the command line: a file only its owner reads, or the environment; the old option is refused with what to use instead.</summary>
public sealed class SecretOptionTests : IDisposable
{
    private const string Variable = "IMAGEPIPE_SECRET_OPTION_TEST";
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("secret-option-");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(Variable, null);
        dir.Delete(recursive: true);
    }

    private static (string? Secret, string? Problem) Parse(params string[] arguments)
    {
        var option = new SecretOption("admin-token", "the token", Variable);
        var command = new RootCommand { option.File, option.Refused };
        return option.Read(command.Parse(arguments));
    }

    private string SecretFile(string content, UnixFileMode mode)
    {
        var path = Path.Combine(dir.FullName, $"token-{Guid.NewGuid():n}");
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void A_token_on_the_command_line_is_refused_with_what_to_use_instead()
    {
        var (secret, problem) = Parse("--admin-token", "s3cret");

        secret.ShouldBeNull();
        problem.ShouldNotBeNull().ShouldContain("--admin-token-file FILE, or set IMAGEPIPE_SECRET_OPTION_TEST");
    }

    [Fact]
    public void A_private_file_or_the_environment_gives_the_secret()
    {
        var file = SecretFile("s3cret\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Environment.SetEnvironmentVariable(Variable, "from-env");

        Parse("--admin-token-file", file).ShouldBe(("s3cret", (string?)null));
        Parse().ShouldBe(("from-env", (string?)null));
    }

    [Fact]
    public void A_file_others_can_read_or_an_empty_one_is_refused()
    {
        var shared = SecretFile("s3cret\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var empty = SecretFile("\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Parse("--admin-token-file", shared).Problem.ShouldNotBeNull().ShouldContain($"chmod 600 {shared}");
        Parse("--admin-token-file", empty).Problem.ShouldNotBeNull().ShouldContain("is empty");
        Parse("--admin-token-file", Path.Combine(dir.FullName, "absent")).Problem.ShouldNotBeNull().ShouldContain("no such file");
    }
}
