using System.Reflection;

namespace ImagePipeline.Cli.Tests.Architecture;

/// <summary>Inside each of the product's assemblies, namespaces depend one way: no two namespaces use each other, directly or around a ring.</summary>
public sealed class NamespaceCycleTests
{
    /// <summary>
    /// The ring still there (issue 25 is open until this is empty): the builder's root types (the
    /// build context, the manifest, the build log) and its stages and tools use each other. The check fails when a ring grows, a new one appears, or one
    /// of these is gone: the list only shrinks.
    /// </summary>
    private static readonly Dictionary<string, string[]> Remaining = new()
    {
        ["ImagePipeline.Builder"] =
        [
            "ImagePipeline.Builder", "ImagePipeline.Builder.Agent", "ImagePipeline.Builder.Artifacts", "ImagePipeline.Builder.Boot",
            "ImagePipeline.Builder.Caching", "ImagePipeline.Builder.Stages", "ImagePipeline.Builder.Tools",
        ],
    };

    public static TheoryData<string> Assemblies() =>
    [
        .. Directory.GetFiles(AppContext.BaseDirectory, "ImagePipeline.*.dll").Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Where(name => !name.EndsWith(".Tests", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
    ];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void No_namespace_cycle_but_the_remaining_ones(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);
        var edges = NamespaceGraph.Of(assembly);

        var cycles = NamespaceGraph.Cycles(edges);

        var uses = string.Join("\n", cycles.Select(group => string.Join(" ⇄ ", group) + ": "
            + string.Join("; ", group.SelectMany(from => edges[from].Where(e => group.Contains(e.Key)).Select(e => $"{from} → {e.Key} ({e.Value})")))));
        cycles.Select(group => string.Join(" ⇄ ", group)).ShouldBe(
            Remaining.TryGetValue(assemblyName, out var remaining) ? [string.Join(" ⇄ ", remaining)] : [], uses);
    }

    [Fact]
    public void The_check_sees_a_cycle_through_a_method_body()
    {
        var edges = NamespaceGraph.Of(typeof(NamespaceCycleTests).Assembly);

        NamespaceGraph.Cycles(edges).ShouldContain(group => group.Contains(typeof(Ring.First).Namespace!) && group.Contains(typeof(Ring.Back.Second).Namespace!));
    }
}
