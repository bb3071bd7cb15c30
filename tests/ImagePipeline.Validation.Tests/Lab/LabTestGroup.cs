namespace ImagePipeline.Validation.Tests.Lab;

/// <summary>
/// Lab tests boot several VMs each: they run one at a time, after the rest of the assembly, so
/// their machines have the cores to themselves. The deploy environment they netboot is the
/// collection's (built when the first lab test starts): a run of the harness tests alone does not build it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LabTestGroup : ICollectionFixture<ImagePipeline.Tests.Deploy.DeployEnvironmentFixture>
{
    public const string Name = "lab";
}
