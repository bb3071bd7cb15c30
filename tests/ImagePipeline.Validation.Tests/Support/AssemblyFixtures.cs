[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Deploy.DeployEnvironmentFixture))]
[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Deploy.SharedBuildDataRemoval))]
// The browser for the web UI steps of the lab rollout test, if one started, is closed when the assembly's tests end.
[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Browser.Chromium))]
