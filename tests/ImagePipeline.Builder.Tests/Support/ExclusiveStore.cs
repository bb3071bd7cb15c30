namespace ImagePipeline.Builder.Tests.Support;

/// <summary>
/// Tests that assert what is (not) in the shared data directory — no temporaries, no extra
/// image — run alone, after the parallel ones, so another test's build in progress cannot be
/// mistaken for a leftover.
/// </summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class ExclusiveStore;
