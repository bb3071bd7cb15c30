namespace ImagePipeline.Agent.Protocol;

/// <summary>
/// The agent API's paths, served by the boot service and called by the agent. Versioned in the
/// path: a boot service keeps answering older versions while a fleet still runs older agents.
/// Every call carries the machine's token as <c>Authorization: Bearer TOKEN</c>.
/// </summary>
public static class AgentRoutes
{
    public const string Version = "v1";
    public const string Prefix = "/agent/" + Version;

    /// <summary>POST <see cref="RegisterRequest"/> → <see cref="RegisterResponse"/>.</summary>
    public const string Register = Prefix + "/register";

    /// <summary>POST <see cref="ProgressReport"/> → 204.</summary>
    public const string Progress = Prefix + "/progress";

    /// <summary>POST <see cref="DeployResult"/> → 204.</summary>
    public const string Result = Prefix + "/result";

    /// <summary>POST <see cref="HealthReport"/> → <see cref="HealthAcknowledgement"/>.</summary>
    public const string Health = Prefix + "/health";

    /// <summary>Kernel command-line parameters the deploy environment's iPXE script passes to the agent.</summary>
    public static class KernelParameters
    {
        /// <summary>Base URL of the boot service, for example <c>http://10.0.0.1:8080</c>.</summary>
        public const string Server = "imagepipeline.server";

        /// <summary>This machine's agent token.</summary>
        public const string Token = "imagepipeline.token";

        /// <summary>MAC address of the NIC the machine booted from.</summary>
        public const string Mac = "imagepipeline.mac";
    }
}
