using System.Security.Cryptography;
using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Server.Auth;

/// <summary>
/// On a store without accounts: the account "admin", with the password from configuration
/// (<c>IMAGEPIPE_ADMIN_PASSWORD</c> or <c>--admin-password-file</c>), or else a one-time password,
/// which must be changed before the account can do anything else. The one-time password is shown
/// once on the terminal when there is one; when the output goes to a journal or a log file
/// (which others may read, and which is kept), it is written to a file only root can read
/// (<see cref="PasswordFileName"/> in the server's directory) and only that file is named. The
/// password itself is never given to the logger (whose providers may be a journal): it goes to the
/// terminal alone, and the log says only that it was shown there.
/// </summary>
public static partial class FirstAdmin
{
    public const string Name = "admin";
    public const string PasswordFileName = "admin-one-time-password";

    public static async Task EnsureAsync(IDbContextFactory<PipelineDb> databases, ServerOptions options, TimeProvider clock, ILogger logger, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        if (await db.Accounts.AnyAsync(cancellationToken))
            return;
        var configured = options.AdminPassword;
        var password = configured ?? OneTimePassword();
        var account = new Account { Name = Name, PasswordHash = "", Roles = Roles.Admin, MustChangePassword = configured is null, CreatedAt = clock.GetUtcNow().UtcDateTime };
        account.PasswordHash = CredentialsAuthenticationHandler.HashPassword(account, password);
        db.Accounts.Add(account);
        db.Audit.Add(new AuditEntry { At = account.CreatedAt, Actor = "server", Action = "account-created", Detail = $"{Name} (admin), first start{(configured is null ? ", one-time password" : ", password from configuration")}" });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another server on the same database created it first.
            return;
        }

        if (configured is not null)
            LogConfigured(logger, Name);
        else if (!Console.IsOutputRedirected)
        {
            LogOnTerminal(logger, Name);
            Console.WriteLine($"server: the one-time password of '{Name}': {password} — sign in to the web UI and choose your own (or POST /api/v1/account/password)");
        }
        else
            LogInFile(logger, Name, WritePasswordFile(options, password));
    }

    [LoggerMessage(1, LogLevel.Information, "server: first start: account '{Account}' with the configured password")]
    private static partial void LogConfigured(ILogger logger, string account);

    [LoggerMessage(2, LogLevel.Information, "server: first start: account '{Account}' with a one-time password, shown on the terminal below (not in this log)")]
    private static partial void LogOnTerminal(ILogger logger, string account);

    [LoggerMessage(3, LogLevel.Warning, "server: first start: account '{Account}' with a one-time password, in {Path} (readable by this user only) — sign in and choose your own, then delete the file")]
    private static partial void LogInFile(ILogger logger, string account, string path);

    private static string WritePasswordFile(ServerOptions options, string password)
    {
        var path = Path.Combine(options.ServerDirectory, PasswordFileName);
        File.Delete(path);
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        file.Write(System.Text.Encoding.UTF8.GetBytes(password + "\n"));
        return path;
    }

    private static string OneTimePassword()
    {
        const string Alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
        return string.Create(20, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
                span[i] = i is 5 or 11 or 17 ? '-' : Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        });
    }
}
