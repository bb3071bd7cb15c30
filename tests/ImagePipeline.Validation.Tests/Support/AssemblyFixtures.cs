[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Deploy.DeployEnvironmentFixture))]
