namespace ImagePipeline.Agent.Deploy;

/// <summary>What the report agent inside the new image needs to speak to the boot service: left on the disk by the deploy agent.</summary>
/// <param name="Server">the boot service's base URL</param>
/// <param name="Token">this machine's agent token</param>
/// <param name="ImageId">the image written (the report agent cannot know its own image id: it is the hash of the disk it lives on)</param>
public sealed record AgentConfig(string Server, string Token, string Mac, string ImageId);
