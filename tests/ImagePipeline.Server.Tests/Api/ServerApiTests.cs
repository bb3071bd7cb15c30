using System.Net;
using System.Net.Http.Json;
using ImagePipeline.Server.Tests.Support;

namespace ImagePipeline.Server.Tests.Api;

/// <summary>The REST API's contract: health, the OpenAPI document, sources and their validation, triggers of unknown recipes.</summary>
public sealed class ServerApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(TestServer.Stores), MemberType = typeof(TestServer))]
    public async Task Health_readiness_and_the_OpenAPI_document_answer(string store)
    {
        await using var server = await TestServer.StartAsync(store);

        var health = await server.Http.GetStringAsync("/healthz", Ct);
        var ready = await server.Http.GetAsync("/readyz", Ct);
        var openapi = await server.GetJsonAsync("/openapi/v1.json");

        health.ShouldBe("ok\n");
        ready.StatusCode.ShouldBe(HttpStatusCode.OK);
        var paths = openapi["paths"]!.AsObject().Select(p => p.Key).ToList();
        paths.ShouldContain("/api/v1/sources");
        paths.ShouldContain("/api/v1/recipes/{name}/runs");
        paths.ShouldContain("/api/v1/webhooks/{source}");
        paths.ShouldContain("/api/v1/runs/{id}/log");
    }

    [Theory]
    [MemberData(nameof(TestServer.Stores), MemberType = typeof(TestServer))]
    public async Task A_registered_source_lists_its_recipes_and_bad_registrations_say_what_to_fix(string store)
    {
        using var repository = await RecipeRepository.CreateAsync();
        await using var server = await TestServer.StartAsync(store);

        await server.RegisterAsync("recipes", repository.Path, "secret");
        var again = await server.Http.PostAsJsonAsync("/api/v1/sources", new { name = "recipes", url = repository.Path }, Ct);
        var badName = await server.Http.PostAsJsonAsync("/api/v1/sources", new { name = "Bad Name", url = repository.Path }, Ct);
        var noUrl = await server.Http.PostAsJsonAsync("/api/v1/sources", new { name = "other" }, Ct);
        var recipes = await server.GetJsonAsync("/api/v1/recipes");
        var source = await server.GetJsonAsync("/api/v1/sources/recipes");
        var unknown = await server.Http.PostAsync("/api/v1/recipes/nosuch/runs", null, Ct);

        recipes.AsArray().Select(r => (r!["name"]!.GetValue<string>(), r["path"]!.GetValue<string>())).ShouldBe([("tiny", "recipes/tiny.yaml")]);
        source["webhookConfigured"]!.GetValue<bool>().ShouldBeTrue();
        source.ToJsonString().ShouldNotContain("secret\"", customMessage: "the secret is never shown");
        again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        badName.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await badName.Content.ReadAsStringAsync(Ct)).ShouldContain("a-z, 0-9 and '-'");
        noUrl.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await unknown.Content.ReadAsStringAsync(Ct)).ShouldContain("known: tiny");
        (await server.GetJsonAsync("/api/v1/sources")).AsArray().Count.ShouldBe(1, "nothing stored was changed by the refused registrations");
    }
}
