using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Cli.Demo;

/// <summary>
/// The accounts the demo acts as, through the server's API like any script: "demo" (builder and
/// operator: registers, triggers, asks, rolls out) and, with --auto-approve, "demo-approver" —
/// someone other than the asker, as four eyes require. Each run gives them a fresh random password
/// in the embedded store (audited), and trades it for an API token.
/// </summary>
public static class DemoAccounts
{
    public const string Operator = "demo";
    public const string Approver = "demo-approver";

    public static async Task<HttpClient> ClientAsync(IDbContextFactory<PipelineDb> databases, Uri server, string name, string[] roles, CancellationToken cancellationToken)
    {
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await using (var db = await databases.CreateDbContextAsync(cancellationToken))
        {
            var account = await db.Accounts.SingleOrDefaultAsync(a => a.Name == name, cancellationToken);
            if (account is null)
                db.Accounts.Add(account = new Account { Name = name, PasswordHash = "", Roles = string.Join(',', roles), CreatedAt = DateTime.UtcNow });
            account.PasswordHash = CredentialsAuthenticationHandler.HashPassword(account, password);
            account.Roles = string.Join(',', roles);
            db.Audit.Add(new AuditEntry { At = DateTime.UtcNow, Actor = "imagepipe demo", Action = "account-prepared", Detail = $"{name} ({account.Roles}), a fresh password for this demo run" });
            await db.SaveChangesAsync(cancellationToken);
        }

        var client = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromMinutes(2) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tokens") { Content = JsonContent.Create(new { name = "imagepipe demo", days = 1 }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{name}:{password}")));
        using var response = await client.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var token = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!["token"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
