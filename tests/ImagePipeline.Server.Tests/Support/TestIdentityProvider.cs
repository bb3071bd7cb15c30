using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace ImagePipeline.Server.Tests.Support;

/// <summary>
/// A real OpenID Connect provider for tests: OpenIddict's server on loopback (discovery, an
/// authorization endpoint with the code flow and PKCE, a token endpoint issuing signed ID tokens),
/// its clients in a SQLite store through OpenIddict's Entity Framework Core stores. Where a real
/// provider shows a login form, this one signs in whoever the test named last
/// (<see cref="SignInNext"/>), with their groups in the ID token's <c>groups</c> claim.
/// </summary>
internal sealed class TestIdentityProvider : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly DirectoryInfo data;
    private volatile Person? next;

    private TestIdentityProvider(WebApplication app, DirectoryInfo data)
    {
        this.app = app;
        this.data = data;
    }

    public Uri Issuer => new(app.Urls.First() + "/");

    private sealed record Person(string Name, IReadOnlyList<string> Groups);

    /// <summary>Whose sessions clients ended (RP-initiated logout), by the ID token they handed back.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> EndedSessions { get; } = new();

    /// <summary>The person the next authorization request signs in, as if they had typed their password.</summary>
    public void SignInNext(string name, params string[] groups) => next = new Person(name, groups);

    public static async Task<TestIdentityProvider> StartAsync()
    {
        var data = Directory.CreateTempSubdirectory("imagepipe-idp-");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddDbContext<IdentityProviderDb>(db =>
        {
            db.UseSqlite($"Data Source={Path.Combine(data.FullName, "idp.db")}");
            db.UseOpenIddict();
        });
        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<IdentityProviderDb>())
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris("/connect/authorize").SetTokenEndpointUris("/connect/token").SetEndSessionEndpointUris("/connect/logout");
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                server.RegisterScopes(Scopes.OpenId, Scopes.Profile);
                server.AddEphemeralEncryptionKey().AddEphemeralSigningKey().DisableAccessTokenEncryption();
                server.UseAspNetCore().EnableAuthorizationEndpointPassthrough().EnableEndSessionEndpointPassthrough().DisableTransportSecurityRequirement();
            });
        var app = builder.Build();
        var provider = new TestIdentityProvider(app, data);
        app.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], (HttpContext http) =>
        {
            var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("not an OpenID Connect request");
            var person = provider.next ?? throw new InvalidOperationException("the test named no one to sign in");
            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, $"sub-{person.Name}").SetClaim(Claims.PreferredUsername, person.Name);
            foreach (var group in person.Groups)
                identity.AddClaim(new Claim("groups", group));
            identity.SetScopes(request.GetScopes());
            identity.SetDestinations(_ => [Destinations.IdentityToken, Destinations.AccessToken]);
            return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });
        // The end of a session: who it was (the ID token the client hands back), then back to the client.
        app.MapMethods("/connect/logout", [HttpMethods.Get, HttpMethods.Post], async (HttpContext http) =>
        {
            var hint = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            provider.EndedSessions.Enqueue(hint.Principal?.FindFirst(Claims.PreferredUsername)?.Value ?? "(no id_token_hint)");
            return Results.SignOut(null, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        });
        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<IdentityProviderDb>().Database.EnsureCreatedAsync(TestContext.Current.CancellationToken);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return provider;
    }

    /// <summary>A confidential client that may use the code flow (with PKCE) and return to <paramref name="redirect"/>, and end sessions returning to <paramref name="signedOut"/>.</summary>
    public async Task RegisterClientAsync(string clientId, string secret, Uri redirect, Uri signedOut)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>().CreateAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = clientId, ClientSecret = secret, ClientType = ClientTypes.Confidential, RedirectUris = { redirect }, PostLogoutRedirectUris = { signedOut },
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.EndSession, Permissions.GrantTypes.AuthorizationCode, Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        }, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        data.Delete(recursive: true);
    }
}

/// <summary>The test provider's store: OpenIddict's applications, authorizations, scopes and tokens.</summary>
internal sealed class IdentityProviderDb(DbContextOptions<IdentityProviderDb> options) : DbContext(options);
