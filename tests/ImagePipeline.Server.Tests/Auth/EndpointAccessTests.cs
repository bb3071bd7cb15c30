using System.Net;
using System.Net.Http.Json;
using System.Text;
using ImagePipeline.Server.Api;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.State;
using ImagePipeline.Server.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Server.Tests.Auth;

/// <summary>
/// Deny by default, checked exhaustively: every endpoint the server maps is in the table below
/// (a new one fails this test until someone decides who may call it), and every endpoint is
/// called anonymously and as each role, expecting 401 / 403 exactly where the table says.
/// </summary>
public sealed class EndpointAccessTests
{
    private const string Anonymous = "anonymous";

    /// <summary>Who may call what: the roles allowed (Anonymous: everyone, without credentials).</summary>
    private static readonly Dictionary<string, string[]> Expected = new()
    {
        ["GET /healthz"] = [Anonymous],
        ["GET /readyz"] = [Anonymous],
        ["POST /api/v1/webhooks/{source}"] = [Anonymous],
        ["GET /openapi/{documentName}.json"] = Read,
        ["GET /metrics"] = Read,
        ["GET /api/v1/sources/"] = Read,
        ["GET /api/v1/sources/{name}"] = Read,
        ["POST /api/v1/sources/"] = [Roles.Builder, Roles.Admin],
        ["GET /api/v1/recipes/"] = Read,
        ["POST /api/v1/recipes/{name}/runs"] = [Roles.Builder, Roles.Admin],
        ["POST /api/v1/recipes/{name}/emergency"] = [Roles.Builder, Roles.Admin],
        ["GET /api/v1/runs/"] = Read,
        ["GET /api/v1/runs/{id:long}"] = Read,
        ["GET /api/v1/runs/{id:long}/log"] = Read,
        ["GET /api/v1/images/"] = Read,
        ["GET /api/v1/images/{id}"] = Read,
        ["POST /api/v1/images"] = [Roles.Builder, Roles.Admin],
        ["GET /api/v1/imports/"] = Read,
        ["PUT /api/v1/imports/{name}"] = [Roles.Builder, Roles.Admin],
        ["GET /api/v1/audit"] = Read,
        ["GET /api/v1/artifacts/images/{id}/{file}"] = [Roles.Operator, Roles.Admin],
        ["GET /api/v1/artifacts/chunks/{sha256}"] = [Roles.Operator, Roles.Admin],
        ["GET /api/v1/account/"] = Read,
        ["POST /api/v1/account/password"] = Read,
        ["POST /api/v1/tokens"] = Read,
        ["GET /api/v1/tokens"] = Read,
        ["DELETE /api/v1/tokens/{id:long}"] = Read,
        ["GET /api/v1/accounts/"] = [Roles.Admin],
        ["POST /api/v1/accounts/"] = [Roles.Admin],
        ["ANY /hangfire/{**path}"] = [Roles.Admin],
        ["POST /api/v1/images/{id}/promotions"] = [Roles.Builder, Roles.Approver, Roles.Operator, Roles.Admin],
        ["GET /api/v1/promotions/"] = Read,
        ["GET /api/v1/promotions/{id:long}"] = Read,
        ["POST /api/v1/promotions/{id:long}/approve"] = [Roles.Approver, Roles.Admin],
        ["POST /api/v1/promotions/{id:long}/reject"] = [Roles.Approver, Roles.Admin],
        ["GET /api/v1/signing-key"] = Read,
        ["GET /api/v1/machines/"] = Read,
        ["POST /api/v1/machines/"] = [Roles.Operator, Roles.Admin],
        ["POST /api/v1/machines/batch"] = [Roles.Operator, Roles.Admin],
        ["PUT /api/v1/machines/{name}"] = [Roles.Operator, Roles.Admin],
        ["GET /api/v1/rollouts/"] = Read,
        ["GET /api/v1/rollouts/{id:long}"] = Read,
        ["POST /api/v1/rollouts/"] = [Roles.Operator, Roles.Admin],
        ["POST /api/v1/rollouts/{id:long}/pause"] = [Roles.Operator, Roles.Admin],
        ["POST /api/v1/rollouts/{id:long}/resume"] = [Roles.Operator, Roles.Admin],
        ["POST /api/v1/rollouts/{id:long}/abort"] = [Roles.Operator, Roles.Admin],
        ["POST /api/v1/rollouts/{id:long}/rollback"] = [Roles.Operator, Roles.Admin],
        // The web UI: pages a viewer may read (their forms name their own policies: WebUiFormsTests), sign-in, and what the pages stream.
        ["ANY /login"] = [Anonymous],
        ["GET /assets/{name}"] = [Anonymous],
        ["ANY /logout"] = Read,
        ["ANY /account/password"] = Read,
        ["ANY /"] = Read,
        ["ANY /recipes"] = Read,
        ["ANY /runs/{id:long}"] = Read,
        ["ANY /images"] = Read,
        ["ANY /images/{id}"] = Read,
        ["ANY /channels"] = Read,
        ["ANY /promotions"] = Read,
        ["ANY /rollouts"] = Read,
        ["ANY /rollouts/{id:long}"] = Read,
        ["ANY /machines"] = Read,
        ["ANY /machines/{name}"] = Read,
        ["ANY /audit"] = Read,
        ["ANY /accounts"] = [Roles.Admin],
        ["GET /ui/live"] = Read,
        ["GET /ui/runs/{id:long}/log"] = Read,
        ["GET /ui/images/{id}/evidence/{file}"] = Read,
    };

    private static string[] Read => [.. Roles.All];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_endpoint_answers_each_role_and_anonymous_as_the_table_says()
    {
        await using var server = await TestServer.StartAsync();
        var endpoints = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["ANY"]).Select(m => $"{m} /{e.RoutePattern.RawText!.TrimStart('/')}"))
            .Distinct().Order().ToList();
        var clients = new Dictionary<string, HttpClient> { [Anonymous] = await server.ClientAsync() };
        foreach (var role in Roles.All)
            clients[role] = await server.ClientAsync(role);

        endpoints.Except(Expected.Keys).ShouldBeEmpty("every endpoint is classified in this test's table");
        Expected.Keys.Except(endpoints).ShouldBeEmpty("the table names only endpoints that exist");
        var wrong = new List<string>();
        foreach (var endpoint in endpoints)
        {
            foreach (var (who, client) in clients)
            {
                var (status, toSignIn) = await CallAsync(client, endpoint);
                var allowed = Expected[endpoint].Contains(Anonymous) || Expected[endpoint].Contains(who);
                // A browser page without a session sends the browser to sign in; an API call gets 401.
                var browser = SignInSchemes.IsBrowserPath(endpoint.Split(' ')[1]);
                var denied = status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden || toSignIn;
                var expectedDenial = who != Anonymous ? "403" : browser ? "302 to /login" : "401";
                var gotDenial = toSignIn ? "302 to /login" : ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
                if ((int)status >= 500)
                    wrong.Add($"{endpoint} as {who}: {(int)status}, a server error");
                else if (allowed == denied || (!allowed && gotDenial != expectedDenial))
                    wrong.Add($"{endpoint} as {who}: {gotDenial}, expected {(allowed ? "allowed" : expectedDenial)}");
            }
        }

        wrong.ShouldBeEmpty();
        foreach (var client in clients.Values)
            client.Dispose();
    }

    [Fact]
    public async Task A_one_time_password_allows_nothing_but_changing_it_and_a_wrong_password_or_token_is_401()
    {
        await using var server = await TestServer.StartAsync();
        using var admin = await server.ClientAsync(Roles.Admin);
        var name = (await (await admin.GetAsync("/api/v1/account/", Ct)).Content.ReadFromJsonAsync<AccountView>(Ct))!.Name;
        await using (var db = await server.Services.GetRequiredService<IDbContextFactory<PipelineDb>>().CreateDbContextAsync(Ct))
            await db.Accounts.Where(a => a.Name == name).ExecuteUpdateAsync(u => u.SetProperty(a => a.MustChangePassword, true), Ct);

        var blocked = await admin.GetAsync("/api/v1/sources/", Ct);
        var shortPassword = await admin.PostAsJsonAsync("/api/v1/account/password", new { current = TestServer.AdminPassword, @new = "short" }, Ct);
        var changed = await admin.PostAsJsonAsync("/api/v1/account/password", new { current = TestServer.AdminPassword, @new = "a much longer passphrase" }, Ct);
        var unblocked = await admin.GetAsync("/api/v1/sources/", Ct);
        using var anonymous = await server.ClientAsync();
        using var wrongPassword = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sources/");
        wrongPassword.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{name}:{TestServer.AdminPassword}")));
        using var wrongToken = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sources/");
        wrongToken.Headers.Authorization = new("Bearer", "ipt_not-a-token");

        blocked.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await blocked.Content.ReadAsStringAsync(Ct)).ShouldStartWith("change the one-time password first");
        using var viewer = await server.ClientAsync(Roles.Viewer);
        var denied = await viewer.PostAsJsonAsync("/api/v1/sources", new { name = "x", url = "/srv/x" }, Ct);
        denied.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await denied.Content.ReadAsStringAsync(Ct)).ShouldContain("may not do this: it needs the role builder or admin");
        shortPassword.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await shortPassword.Content.ReadAsStringAsync(Ct)).ShouldContain("at least 12 characters");
        changed.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        unblocked.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await anonymous.SendAsync(wrongPassword, Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "the old password no longer works");
        var refused = await anonymous.SendAsync(wrongToken, Ct);
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        refused.Headers.WwwAuthenticate.Select(h => h.Scheme).ShouldBe(["Bearer"], "a Basic challenge makes browsers cache the password and send it to every page");
    }

    [Fact]
    public async Task Basic_credentials_a_browser_cached_do_not_sign_in_to_the_web_ui_so_another_site_cannot_post_its_forms()
    {
        await using var server = await TestServer.StartAsync();
        using var browser = await server.ClientAsync();
        browser.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestServer.FirstAdminName}:{TestServer.AdminPassword}")));

        // What another site's hidden form does: a POST with no antiforgery token, the cached header attached by the browser.
        using var forged = await browser.PostAsync("/recipes?handler=Build", new FormUrlEncodedContent(new Dictionary<string, string> { ["recipe"] = "tiny" }), Ct);
        using var page = await browser.GetAsync("/accounts", Ct);
        using var api = await browser.GetAsync("/api/v1/account/", Ct);

        forged.StatusCode.ShouldBeOneOf(HttpStatusCode.Redirect, HttpStatusCode.BadRequest);
        if (forged.StatusCode == HttpStatusCode.Redirect)
            forged.Headers.Location!.OriginalString.ShouldContain("/login?");
        page.StatusCode.ShouldBe(HttpStatusCode.Redirect, "a browser page is for the sign-in cookie only");
        page.Headers.Location!.OriginalString.ShouldContain("/login?");
        api.StatusCode.ShouldBe(HttpStatusCode.OK, "scripts still send Basic to the API without being asked");
        (await server.GetJsonAsync("/api/v1/runs/")).AsArray().Count.ShouldBe(0);
    }

    [Fact]
    public async Task A_revoked_token_is_refused_at_once_and_only_its_owner_or_an_admin_can_revoke_it()
    {
        await using var server = await TestServer.StartAsync();
        using var builder = await server.ClientAsync(Roles.Builder);
        using var other = await server.ClientAsync(Roles.Viewer);
        var listed = (await (await builder.GetAsync("/api/v1/tokens", Ct)).Content.ReadFromJsonAsync<List<TokenInfo>>(Ct))!;
        var id = listed.ShouldHaveSingleItem().Id;

        using var byOther = await other.DeleteAsync($"/api/v1/tokens/{id}", Ct);
        using var stillWorks = await builder.GetAsync("/api/v1/sources/", Ct);
        using var revoked = await builder.DeleteAsync($"/api/v1/tokens/{id}", Ct);
        using var afterwards = await builder.GetAsync("/api/v1/sources/", Ct);

        byOther.StatusCode.ShouldBe(HttpStatusCode.NotFound, "a viewer cannot revoke, nor learn of, another account's token");
        stillWorks.StatusCode.ShouldBe(HttpStatusCode.OK);
        revoked.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        afterwards.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await server.GetJsonAsync("/api/v1/audit")).AsArray().ShouldContain(a => a!["action"]!.GetValue<string>() == "token-revoked");
        var viewerToken = (await (await other.GetAsync("/api/v1/tokens", Ct)).Content.ReadFromJsonAsync<List<TokenInfo>>(Ct))!.Single().Id;
        (await server.Http.DeleteAsync($"/api/v1/tokens/{viewerToken}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent, "an admin revokes anyone's");
        (await other.GetAsync("/api/v1/sources/", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    private static async Task<(HttpStatusCode Status, bool ToSignIn)> CallAsync(HttpClient client, string endpoint)
    {
        var (method, pattern) = (endpoint.Split(' ')[0], endpoint.Split(' ')[1]);
        var path = pattern.Replace("{id:long}", "999999", StringComparison.Ordinal).Replace("{**path}", "", StringComparison.Ordinal)
            .Replace("{documentName}", "v1", StringComparison.Ordinal).Replace("{name}", "none", StringComparison.Ordinal)
            .Replace("{id}", "none", StringComparison.Ordinal).Replace("{source}", "none", StringComparison.Ordinal).Replace("{file}", "none", StringComparison.Ordinal)
            .Replace("{sha256}", "none", StringComparison.Ordinal);
        using var request = new HttpRequestMessage(new HttpMethod(method == "ANY" ? "GET" : method), path);
        if (method is "POST" or "PUT")
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        var toSignIn = response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location?.OriginalString.Contains("/login?", StringComparison.Ordinal) == true;
        return (response.StatusCode, toSignIn);
    }
}
