namespace ImagePipeline.BootService.Scripts;

/// <summary>How the boot service treats machines that ask for a script.</summary>
/// <param name="Discovery">unknown MACs are recorded and boot the deploy environment to register (else they boot their disk)</param>
/// <param name="MaxDeployAttempts">deploy-environment boots per desired image before the machine is held as failed</param>
/// <param name="ExtraKernelArguments">appended to the deploy environment's kernel command line</param>
public sealed record BootScriptPolicy(bool Discovery, int MaxDeployAttempts = 3, string ExtraKernelArguments = "");
