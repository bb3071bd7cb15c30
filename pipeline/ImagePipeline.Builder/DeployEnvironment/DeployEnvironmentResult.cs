namespace ImagePipeline.Builder.DeployEnvironment;

/// <summary>A built deploy environment.</summary>
public sealed record DeployEnvironmentResult(string Kernel, string Initrd, string KernelVersion, long InitrdBytes, bool HasAgent);
