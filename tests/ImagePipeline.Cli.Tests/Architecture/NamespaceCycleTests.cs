using System.Reflection;

namespace ImagePipeline.Cli.Tests.Architecture;

/// <summary>Inside each of the product's assemblies, namespaces depend one way: no two namespaces use each other, directly or around a ring.</summary>
public sealed class NamespaceCycleTests
{
    /// <summary>Every product assembly beside the tests: the libraries, and the CLI (imagepipe), which holds the lab and the demo.</summary>
    public static TheoryData<string> Assemblies() =>
    [
        .. Directory.GetFiles(AppContext.BaseDirectory, "ImagePipeline.*.dll").Append("imagepipe.dll").Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Where(name => !name.EndsWith(".Tests", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
    ];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void No_namespace_cycle(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);
        var edges = NamespaceGraph.Of(assembly);

        var cycles = NamespaceGraph.Cycles(edges);

        cycles.ShouldBeEmpty(string.Join("\n", cycles.Select(group => string.Join(" ⇄ ", group) + ": "
            + string.Join("; ", group.SelectMany(from => edges[from].Where(e => group.Contains(e.Key)).Select(e => $"{from} → {e.Key} ({e.Value})"))))));
    }

    [Fact]
    public void The_check_sees_a_cycle_through_a_method_body()
    {
        var edges = NamespaceGraph.Of(typeof(NamespaceCycleTests).Assembly);

        NamespaceGraph.Cycles(edges).ShouldContain(group => group.Contains(typeof(Ring.First).Namespace!) && group.Contains(typeof(Ring.Back.Second).Namespace!));
    }
}
