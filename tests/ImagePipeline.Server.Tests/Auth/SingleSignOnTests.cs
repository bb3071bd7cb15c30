using System.Net;
using System.Text.RegularExpressions;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Tests.Support;

namespace ImagePipeline.Server.Tests.Auth;

/// <summary>
/// Single sign-on against a real OpenID Connect provider (<see cref="TestIdentityProvider"/>:
/// OpenIddict over HTTP): the browser's round trip (the server's challenge, the provider's
/// authorization endpoint, the code back to /signin-oidc, the code exchanged with PKCE and the
/// client secret, the ID token validated), roles from the provider's groups as configured, a
/// person without a mapped group refused with the reason, sign-out, and local accounts beside it.
/// </summary>
public sealed partial class SingleSignOnTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_person_signs_in_through_the_provider_with_the_roles_their_groups_map_to_one_without_a_mapped_group_is_refused_and_sign_out_ends_the_session_here_and_at_the_provider()
    {
        await using var provider = await TestIdentityProvider.StartAsync();
        await using var server = await TestServer.StartAsync(kestrel: true, configure: o => o with
        {
            Oidc = new OidcSettings(provider.Issuer, "imagepipeline", "client-secret", OidcSettings.DefaultRoleClaim,
                OidcRoleMap.Parse(["release-managers=approver+operator", "platform=admin"]), []),
        });
        await provider.RegisterClientAsync("imagepipeline", "client-secret", new Uri(server.BaseAddress, "signin-oidc"), new Uri(server.BaseAddress, "signout-callback-oidc"));

        // Alice manages releases: approver and operator, not admin.
        provider.SignInNext("alice", "release-managers", "everyone");
        using var alice = Browser(server);
        var landed = await alice.GetAsync($"{OidcSignIn.StartPath}?returnUrl=/promotions", Ct);
        var promotions = await alice.GetAsync("/promotions", Ct);
        var accounts = await alice.GetAsync("/accounts", Ct);
        var home = await alice.GetStringAsync("/", Ct);
        var logoutForm = await alice.GetStringAsync("/logout", Ct);
        var signedOut = await alice.PostAsync("/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = Antiforgery(logoutForm) }), Ct);
        var afterSignOut = await alice.GetAsync("/promotions", Ct);

        // Mallory's groups map to nothing here.
        provider.SignInNext("mallory", "contractors");
        using var mallory = Browser(server);
        var refused = await mallory.GetAsync(OidcSignIn.StartPath, Ct);
        var refusedPage = await refused.Content.ReadAsStringAsync(Ct);
        var malloryHome = await mallory.GetAsync("/", Ct);

        // The local admin still signs in with a password.
        using var admin = Browser(server);
        var loginPage = await admin.GetStringAsync("/login", Ct);
        var local = await admin.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = TestServer.FirstAdminName, ["password"] = TestServer.AdminPassword, ["__RequestVerificationToken"] = Antiforgery(loginPage),
        }), Ct);
        var adminAccounts = await admin.GetAsync("/accounts", Ct);

        landed.StatusCode.ShouldBe(HttpStatusCode.OK);
        landed.RequestMessage!.RequestUri!.AbsolutePath.ShouldBe(OidcSignIn.LandingPath, "the round trip ends on the server's landing page");
        (await landed.Content.ReadAsStringAsync(Ct)).ShouldContain("url=/promotions");
        promotions.StatusCode.ShouldBe(HttpStatusCode.OK);
        promotions.RequestMessage!.RequestUri!.AbsolutePath.ShouldBe("/promotions", "signed in: no detour to the sign-in page");
        home.ShouldContain("oidc:alice");
        accounts.StatusCode.ShouldBe(HttpStatusCode.Forbidden, "release-managers grants approver and operator, not admin");
        loginPage.ShouldContain("Sign in with single sign-on");
        signedOut.RequestMessage!.RequestUri!.AbsolutePath.ShouldBe("/login");
        provider.EndedSessions.ToArray().ShouldBe(["alice"], "sign-out ended alice's session at the provider too, with her ID token as the hint");
        afterSignOut.RequestMessage!.RequestUri!.AbsolutePath.ShouldBe("/login", "signed out: the pages ask for a sign-in again");
        refused.RequestMessage!.RequestUri!.AbsolutePath.ShouldBe("/login");
        WebUtility.HtmlDecode(refusedPage).ShouldContain("oidc:mallory has no role here: none of their groups (contractors) is mapped to a role");
        malloryHome.RequestMessage!.RequestUri!.AbsolutePath.ShouldBe("/login", "a refused person has no session");
        local.RequestMessage!.RequestUri!.AbsolutePath.ShouldBe("/");
        adminAccounts.StatusCode.ShouldBe(HttpStatusCode.OK, "local accounts work beside single sign-on");
    }

    /// <summary>A browser's HTTP: cookies kept, redirects followed (across the server and the provider).</summary>
    private static HttpClient Browser(TestServer server) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true }) { BaseAddress = server.BaseAddress };

    private static string Antiforgery(string page) => AntiforgeryField().Match(page) is { Success: true } field
        ? WebUtility.HtmlDecode(field.Groups[1].Value)
        : throw new InvalidOperationException($"no antiforgery token on the page: {page}");

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
