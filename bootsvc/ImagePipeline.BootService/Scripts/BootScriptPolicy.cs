namespace ImagePipeline.BootService.Scripts;

/// <summary>How the boot service treats machines that ask for a script.</summary>
/// <param name="Discovery">unknown MACs are recorded and boot the deploy environment to register (else they boot their disk)</param>
/// <param name="MaxDeployAttempts">deploy-environment boots per desired image before the machine is held as failed</param>
/// <param name="ExtraKernelArguments">appended to the deploy environment's kernel command line</param>
/// <param name="LeasesAddresses">
/// full mode: this service leases the boot network's addresses, so a script that carries an agent
/// token goes only to the address it leased to that MAC — anyone else on the network asking for it
/// gets a refusal, counts no attempt and gets no token. In proxy and HTTP mode another DHCP server
/// leases them: the token is bound to the address that fetched the script.
/// </param>
public sealed record BootScriptPolicy(bool Discovery, int MaxDeployAttempts = 3, string ExtraKernelArguments = "", bool LeasesAddresses = false);
