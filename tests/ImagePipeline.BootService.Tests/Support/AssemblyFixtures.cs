using ImagePipeline.Tests.Deploy;
[assembly: AssemblyFixture(typeof(ImagePipeline.Tests.Deploy.DeployEnvironmentFixture))]
