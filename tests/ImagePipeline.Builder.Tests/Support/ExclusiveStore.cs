namespace ImagePipeline.Builder.Tests.Support;

/// <summary>
/// Tests that assert what is (not) in the shared data directory — no temporaries, no extra image.
/// Collections in this assembly do not run in parallel (xunit.runner.json), so another test's
/// build in progress cannot be mistaken for a leftover; this collection groups them explicitly.
/// </summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class ExclusiveStore;
