using ImagePipeline.Server.Api;
using ImagePipeline.Server.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages;

/// <summary>Accounts and their roles (admins), created by the API's rules.</summary>
[Authorize(Policy = Roles.Policies.Administer)]
public sealed class AccountsModel(TimeProvider clock) : PipelinePage
{
    public IReadOnlyList<State.Account> Accounts { get; private set; } = [];

    public async Task OnGetAsync()
    {
        await using var db = await OpenAsync();
        Accounts = await db.Accounts.OrderBy(a => a.Name).ToListAsync(HttpContext.RequestAborted);
    }

    [HandlerPolicy(Roles.Policies.Administer)]
    public async Task<IActionResult> OnPostAsync(string? name, string? password, string[]? roles)
    {
        var result = await AccountsApi.CreateAccountAsync(new AccountRequest(name, password, roles), User, Databases, clock, HttpContext.RequestAborted);
        return result.Result switch
        {
            BadRequest<string> bad => Refused(bad.Value!),
            Conflict<string> conflict => Refused(conflict.Value!),
            _ => Done($"account {name} created ({string.Join(", ", roles ?? [])})"),
        };
    }
}
