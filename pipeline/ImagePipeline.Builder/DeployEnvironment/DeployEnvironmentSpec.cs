namespace ImagePipeline.Builder.DeployEnvironment;

/// <summary>What goes into a deploy environment besides busybox and the drivers.</summary>
/// <param name="AgentBinary">the NativeAOT agent to include as /bin/imagepipe-agent (with the glibc and OpenSSL it loads), or null</param>
/// <param name="TrustKeyPem">the public key promoted images are signed with, baked in as /etc/imagepipeline/trust.pem</param>
/// <param name="AllowUnsigned">let the agent write unsigned images (a lab before promotion signing exists)</param>
public sealed record DeployEnvironmentSpec(string? AgentBinary = null, string? TrustKeyPem = null, bool AllowUnsigned = false);
