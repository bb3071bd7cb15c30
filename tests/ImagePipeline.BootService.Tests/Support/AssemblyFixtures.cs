[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Deploy.DeployEnvironmentFixture))]
[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Deploy.SharedBuildDataRemoval))]
