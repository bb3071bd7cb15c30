[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Deploy.DeployEnvironmentFixture))]
[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Deploy.SharedBuildDataRemoval))]
// The tiny base a project run alone built for itself (tests/Shared/Seed), removed when its tests end.
[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Seed.SeededBase))]
