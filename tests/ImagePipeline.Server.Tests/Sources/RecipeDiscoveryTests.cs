using ImagePipeline.Server.Sources;

namespace ImagePipeline.Server.Tests.Sources;

/// <summary>
/// A pushed recipe is exported into the server's own data directory, which may itself sit in a
/// git work tree (a checkout of this product holds ./data): the export is the recipe's repository,
/// so a source that climbs out of it toward the signing key is refused even though it stays inside
/// the enclosing checkout.
/// </summary>
public sealed class RecipeDiscoveryTests : IDisposable
{
    private readonly DirectoryInfo checkout = Directory.CreateTempSubdirectory("checkout-");

    public void Dispose() => checkout.Delete(recursive: true);

    [Fact]
    public void A_source_that_leaves_the_exported_repository_does_not_lint_even_inside_an_enclosing_checkout()
    {
        Directory.CreateDirectory(Path.Combine(checkout.FullName, ".git"));
        var server = Directory.CreateDirectory(Path.Combine(checkout.FullName, "data", "server")).FullName;
        File.WriteAllText(Path.Combine(server, "signing-key.pem"), "-----BEGIN PRIVATE KEY-----\n");
        var export = Directory.CreateDirectory(Path.Combine(server, "work", "sync-1")).FullName;
        File.WriteAllText(Path.Combine(export, "evil.yaml"), "name: evil\nbase: busybox\nfiles:\n  - path: /key\n    source: ../../signing-key.pem\n");
        File.WriteAllText(Path.Combine(export, "motd"), "hello\n");
        File.WriteAllText(Path.Combine(export, "good.yaml"), "name: good\nbase: busybox\nfiles:\n  - path: /etc/motd\n    source: motd\n");

        var found = RecipeDiscovery.Find(export).OrderBy(d => d.Path).ToList();

        found.Select(d => d.Path).ShouldBe(["evil.yaml", "good.yaml"]);
        found[0].Name.ShouldBeNull();
        found[0].Error.ShouldNotBeNull().ShouldContain($"leads outside the recipe's repository ({export})");
        found[1].Name.ShouldBe("good");
    }
}
