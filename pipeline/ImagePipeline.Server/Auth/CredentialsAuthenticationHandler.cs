using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImagePipeline.Server.Auth;

/// <summary>
/// Who is asking, from the Authorization header: <c>Bearer ipt_...</c> (an API token: one hash and
/// one lookup) or <c>Basic</c> (account name and password: a PBKDF2 verification, so scripts
/// should trade it for a token once). A 401 names only Bearer: a Basic challenge would make a
/// browser ask for a password and then send it by itself to every page of the site
/// (<see cref="SignInSchemes"/>). Scripts send Basic without being asked (<c>curl -u</c>).
/// </summary>
public sealed class CredentialsAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IDbContextFactory<PipelineDb> databases, TimeProvider clock) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "imagepipe";
    public const string MustChangePasswordClaim = "imagepipe:must-change-password";
    public const string TokenPrefix = "ipt_";

    private static readonly PasswordHasher<Account> Hasher = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return await FromTokenAsync(header["Bearer ".Length..].Trim());
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            return await FromPasswordAsync(header["Basic ".Length..].Trim());
        return AuthenticateResult.NoResult();
    }

    private async Task<AuthenticateResult> FromTokenAsync(string token)
    {
        await using var db = await databases.CreateDbContextAsync(Context.RequestAborted);
        var hash = HashToken(token);
        var found = await db.Tokens.Include(t => t.Account).SingleOrDefaultAsync(t => t.Hash == hash, Context.RequestAborted);
        if (found is null)
            return AuthenticateResult.Fail("unknown API token");
        if (found.ExpiresAt <= clock.GetUtcNow().UtcDateTime)
            return AuthenticateResult.Fail($"API token '{found.Name}' expired at {found.ExpiresAt:yyyy-MM-dd HH:mm} UTC: create a new one (POST /api/v1/tokens)");
        return Success(found.Account!, "token");
    }

    private async Task<AuthenticateResult> FromPasswordAsync(string encoded)
    {
        string name, password;
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)).Split(':', 2);
            if (pair.Length != 2)
                return AuthenticateResult.Fail("Basic credentials are name:password");
            (name, password) = (pair[0], pair[1]);
        }
        catch (FormatException)
        {
            return AuthenticateResult.Fail("Basic credentials are not base64");
        }

        await using var db = await databases.CreateDbContextAsync(Context.RequestAborted);
        var account = await db.Accounts.SingleOrDefaultAsync(a => a.Name == name, Context.RequestAborted);
        if (account is null || !Verify(account, password))
            return AuthenticateResult.Fail("wrong account name or password");
        return Success(account, "password");
    }

    private static AuthenticateResult Success(Account account, string method) =>
        AuthenticateResult.Success(new AuthenticationTicket(PrincipalOf(account, method, SchemeName), SchemeName));

    /// <summary>Who an account is to the authorization policies: its name, roles, and whether its one-time password is still to change. The web UI's cookie holds the same.</summary>
    public static ClaimsPrincipal PrincipalOf(Account account, string method, string scheme)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, account.Name), new(ClaimTypes.AuthenticationMethod, method) };
        claims.AddRange(account.RoleList.Select(role => new Claim(ClaimTypes.Role, role)));
        if (account.MustChangePassword)
            claims.Add(new Claim(MustChangePasswordClaim, "true"));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = Microsoft.AspNetCore.Http.StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"imagepipe\"";
        return Task.CompletedTask;
    }

    public static string HashPassword(Account account, string password) => Hasher.HashPassword(account, password);

    public static bool Verify(Account account, string password) =>
        Hasher.VerifyHashedPassword(account, account.PasswordHash, password) != PasswordVerificationResult.Failed;

    public static string NewToken() => TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
