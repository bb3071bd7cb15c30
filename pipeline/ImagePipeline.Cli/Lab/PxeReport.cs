using ImagePipeline.Validation.Lab.Deployment;

namespace ImagePipeline.Cli.Lab;

/// <summary>The PXE validation of one image: per profile, healthy or why not, and its phases.</summary>
public sealed record PxeReport(string Image, bool Passed, double Seconds, IReadOnlyList<DeployOutcome> Profiles);
