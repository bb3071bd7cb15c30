using System.CommandLine;

namespace ImagePipeline.Cli.Verbs;

/// <summary>
/// A secret a verb needs (a token, a password): from a file (<c>--NAME-file</c>) or from an
/// environment variable, never from the command line, where every user of the machine reads it
/// in <c>ps</c> and <c>/proc/PID/cmdline</c>. The bare <c>--NAME</c> is still recognised, so a
/// script that passes it is told what to change instead of "unrecognized option". The file must
/// not be readable by others (like the signing key).
/// </summary>
public sealed class SecretOption
{
    private readonly string environmentVariable;

    public SecretOption(string name, string what, string environmentVariable)
    {
        this.environmentVariable = environmentVariable;
        File = new Option<string?>($"--{name}-file") { Description = $"a file holding {what} (mode 0600; default ${environmentVariable})" };
        Refused = new Option<string?>($"--{name}") { Description = $"refused: use --{name}-file or ${environmentVariable} (a value here shows in ps)", Hidden = true };
    }

    public Option<string?> File { get; }

    /// <summary>The old form, refused with what to use instead.</summary>
    public Option<string?> Refused { get; }

    /// <summary>The secret (null when none is given), or a problem that says what to fix.</summary>
    public (string? Secret, string? Problem) Read(ParseResult parse)
    {
        if (parse.GetValue(Refused) is not null)
            return (null, $"{Refused.Name} puts the secret on the command line, where every user of this machine reads it (ps); put it in a file (chmod 600) and give {File.Name} FILE, or set {environmentVariable}");
        if (parse.GetValue(File) is not { } path)
            return (Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null, null);
        if (!System.IO.File.Exists(path))
            return (null, $"{File.Name} {path}: no such file");
        if ((System.IO.File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            return (null, $"{File.Name} {path} can be read or changed by other users: chmod 600 {path}");
        var secret = System.IO.File.ReadAllText(path).Trim();
        return secret.Length == 0 ? (null, $"{File.Name} {path} is empty") : (secret, null);
    }
}
