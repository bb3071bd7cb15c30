namespace ImagePipeline.Validation.Lab.Deployment;

/// <summary>A machine to deploy: its name, the MAC the boot service knows it by, and its BMC's Redfish system.</summary>
public sealed record DeployTarget(string Name, string Mac, string SystemPath);
