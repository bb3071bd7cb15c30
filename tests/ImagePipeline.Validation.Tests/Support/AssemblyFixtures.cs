// The deploy environment is the lab collection's fixture (Lab/LabTestGroup.cs), the harness's images a class fixture (TestImages).
[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Deploy.SharedBuildDataRemoval))]
// The browser for the web UI steps of the lab rollout test, if one started, is closed when the assembly's tests end.
[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Browser.Chromium))]
// The tiny base a project run alone built for itself (tests/Shared/Seed), removed when its tests end.
[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Seed.SeededBase))]
