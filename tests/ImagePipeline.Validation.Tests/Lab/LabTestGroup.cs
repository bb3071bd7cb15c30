namespace ImagePipeline.Validation.Tests.Lab;

/// <summary>Lab tests boot several VMs each: they run one at a time, after the rest of the assembly, so their machines have the cores to themselves.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LabTestGroup
{
    public const string Name = "lab";
}
