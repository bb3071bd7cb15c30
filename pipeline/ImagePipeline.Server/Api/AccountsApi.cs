using System.Security.Claims;
using System.Text.RegularExpressions;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Api;

/// <summary>Request bodies of the account endpoints.</summary>
public sealed record PasswordChange(string? Current, string? New);

public sealed record TokenRequest(string? Name, int? Days);

public sealed record AccountRequest(string? Name, string? Password, string[]? Roles);

public sealed record AccountView(string Name, IReadOnlyList<string> Roles, bool MustChangePassword, DateTime CreatedAt)
{
    public static AccountView Of(Account a) => new(a.Name, a.RoleList, a.MustChangePassword, a.CreatedAt);
}

/// <summary>A token just created: the only time the token itself is shown.</summary>
public sealed record TokenView(string Token, string Name, DateTime ExpiresAt, long Id);

/// <summary>A token as listed: never the token, only what names it.</summary>
public sealed record TokenInfo(long Id, string Name, DateTime CreatedAt, DateTime ExpiresAt)
{
    public static TokenInfo Of(ApiToken t) => new(t.Id, t.Name, t.CreatedAt, t.ExpiresAt);
}

/// <summary>
/// Signing in for scripts: one's own account, its password, API tokens (created, listed,
/// revoked: a leaked token is cut off at once, not at its expiry); and the accounts (admin).
/// Every change is an audit entry. Passwords are at least 12 characters.
/// </summary>
public static partial class AccountsApi
{
    private const int MinimumPassword = 12;

    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var own = app.MapGroup("/api/v1/account").WithTags("accounts").RequireAuthorization(Roles.Policies.SignedIn);
        own.MapGet("/", async Task<Results<Ok<AccountView>, NotFound>> (ClaimsPrincipal user, IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var account = await db.Accounts.SingleOrDefaultAsync(a => a.Name == user.Identity!.Name, ct);
            return account is null ? TypedResults.NotFound() : TypedResults.Ok(AccountView.Of(account));
        });
        own.MapPost("/password", ChangePasswordAsync);
        app.MapPost("/api/v1/tokens", CreateTokenAsync).WithTags("accounts").RequireAuthorization(Roles.Policies.Read);
        app.MapGet("/api/v1/tokens", async (ClaimsPrincipal user, IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var tokens = await db.Tokens.Where(t => t.Account!.Name == user.Identity!.Name).OrderBy(t => t.Id).ToListAsync(ct);
            return tokens.Select(TokenInfo.Of).ToList();
        }).WithTags("accounts").RequireAuthorization(Roles.Policies.Read);
        app.MapDelete("/api/v1/tokens/{id:long}", RevokeTokenAsync).WithTags("accounts").RequireAuthorization(Roles.Policies.Read);

        var accounts = app.MapGroup("/api/v1/accounts").WithTags("accounts").RequireAuthorization(Roles.Policies.Administer);
        accounts.MapGet("/", async (IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            return (await db.Accounts.OrderBy(a => a.Name).ToListAsync(ct)).Select(AccountView.Of).ToList();
        });
        accounts.MapPost("/", CreateAccountAsync);
        return app;
    }

    internal static async Task<Results<NoContent, BadRequest<string>>> ChangePasswordAsync(PasswordChange change, ClaimsPrincipal user, IDbContextFactory<PipelineDb> databases,
        TimeProvider clock, CancellationToken ct)
    {
        await using var db = await databases.CreateDbContextAsync(ct);
        var account = await db.Accounts.SingleAsync(a => a.Name == user.Identity!.Name, ct);
        if (change.Current is null || !CredentialsAuthenticationHandler.Verify(account, change.Current))
            return TypedResults.BadRequest("current: the account's present password is required, and it does not match");
        if (PasswordProblem(change.New) is { } problem)
            return TypedResults.BadRequest(problem);
        if (change.New == change.Current)
            return TypedResults.BadRequest("new: choose a password other than the present one");
        account.PasswordHash = CredentialsAuthenticationHandler.HashPassword(account, change.New!);
        account.MustChangePassword = false;
        db.Audit.Add(new AuditEntry { At = clock.GetUtcNow().UtcDateTime, Actor = account.Name, Action = "password-changed", Detail = account.Name });
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Created<TokenView>, BadRequest<string>>> CreateTokenAsync(TokenRequest request, ClaimsPrincipal user, IDbContextFactory<PipelineDb> databases,
        TimeProvider clock, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
            return TypedResults.BadRequest("name is required (up to 100 characters): say what the token is for, e.g. ci or prometheus");
        if (request.Days is < 1 or > 366)
            return TypedResults.BadRequest("days must be 1 to 366 (default 90)");
        await using var db = await databases.CreateDbContextAsync(ct);
        var account = await db.Accounts.SingleAsync(a => a.Name == user.Identity!.Name, ct);
        var token = CredentialsAuthenticationHandler.NewToken();
        var now = clock.GetUtcNow().UtcDateTime;
        var stored = new ApiToken { AccountId = account.Id, Name = request.Name.Trim(), Hash = CredentialsAuthenticationHandler.HashToken(token), CreatedAt = now, ExpiresAt = now.AddDays(request.Days ?? 90) };
        db.Tokens.Add(stored);
        db.Audit.Add(new AuditEntry { At = now, Actor = account.Name, Action = "token-created", Detail = $"{stored.Name} for {account.Name}, expires {stored.ExpiresAt:yyyy-MM-dd}" });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created("/api/v1/account", new TokenView(token, stored.Name, stored.ExpiresAt, stored.Id));
    }

    /// <summary>One's own token, or (an admin) anyone's: deleted, so the next request with it is a 401. Another's token is "not found" to a non-admin.</summary>
    private static async Task<Results<NoContent, NotFound<string>>> RevokeTokenAsync(long id, ClaimsPrincipal user, IDbContextFactory<PipelineDb> databases,
        TimeProvider clock, CancellationToken ct)
    {
        await using var db = await databases.CreateDbContextAsync(ct);
        var token = await db.Tokens.Include(t => t.Account).SingleOrDefaultAsync(t => t.Id == id, ct);
        if (token is null || (token.Account!.Name != user.Identity!.Name && !user.IsInRole(Roles.Admin)))
            return TypedResults.NotFound($"no token {id} of yours (GET /api/v1/tokens lists them)");
        db.Tokens.Remove(token);
        db.Audit.Add(new AuditEntry { At = clock.GetUtcNow().UtcDateTime, Actor = user.Identity!.Name!, Action = "token-revoked", Detail = $"{token.Name} of {token.Account.Name}" });
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Created<AccountView>, BadRequest<string>, Conflict<string>>> CreateAccountAsync(AccountRequest request, ClaimsPrincipal user,
        IDbContextFactory<PipelineDb> databases, TimeProvider clock, CancellationToken ct)
    {
        if (request.Name is null || !AccountName().IsMatch(request.Name))
            return TypedResults.BadRequest("name is required: 1-64 of a-z, 0-9, '.', '_' and '-', starting with a letter");
        if (PasswordProblem(request.Password) is { } problem)
            return TypedResults.BadRequest(problem);
        var roles = (request.Roles ?? []).Select(r => r.Trim().ToLowerInvariant()).Distinct().ToList();
        if (roles.Count == 0 || roles.Any(r => !Roles.All.Contains(r)))
            return TypedResults.BadRequest($"roles: one or more of {string.Join(", ", Roles.All)}");
        await using var db = await databases.CreateDbContextAsync(ct);
        if (await db.Accounts.AnyAsync(a => a.Name == request.Name, ct))
            return TypedResults.Conflict($"an account named '{request.Name}' exists already");
        var account = new Account { Name = request.Name, PasswordHash = "", Roles = string.Join(',', roles), CreatedAt = clock.GetUtcNow().UtcDateTime };
        account.PasswordHash = CredentialsAuthenticationHandler.HashPassword(account, request.Password!);
        db.Accounts.Add(account);
        db.Audit.Add(new AuditEntry { At = account.CreatedAt, Actor = user.Identity!.Name!, Action = "account-created", Detail = $"{account.Name} ({account.Roles})" });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/accounts/{account.Name}", AccountView.Of(account));
    }

    private static string? PasswordProblem(string? password) =>
        password is null || password.Length < MinimumPassword ? $"password: at least {MinimumPassword} characters" : null;

    [GeneratedRegex("^[a-z][a-z0-9._-]{0,63}$")]
    private static partial Regex AccountName();
}
