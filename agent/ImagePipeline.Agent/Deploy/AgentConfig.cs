namespace ImagePipeline.Agent.Deploy;

/// <summary>What the report agent inside the new image needs to speak to the boot service: left on the disk by the deploy agent.</summary>
/// <param name="Server">the boot service's base URL</param>
/// <param name="Token">this machine's agent token</param>
/// <param name="ImageId">the image written (the report agent cannot know its own image id: it is the hash of the disk it lives on)</param>
public sealed record AgentConfig(string Server, string Token, string Mac, string ImageId)
{
    /// <summary>On a disk with A/B slots, once updated in place: the image each slot holds (a slot not named holds <see cref="ImageId"/>).</summary>
    public Dictionary<string, string>? SlotImages { get; init; }

    /// <summary>The slot armed for a trial boot and not yet found good or failed.</summary>
    public string? TrialSlot { get; init; }

    /// <summary>The image whose trial boot failed, until the boot service has been told.</summary>
    public string? FellBackFrom { get; init; }

    /// <summary>The public key (PEM) images are checked against here, as the deploy environment had it: an in-place update is checked like a deploy.</summary>
    public string? TrustKey { get; init; }

    /// <summary>The deploy environment wrote unsigned images (a lab without promotion): so may an in-place update.</summary>
    public bool AllowUnsigned { get; init; }

    /// <summary>The image in <paramref name="slot"/>.</summary>
    public string ImageIn(string? slot) => slot is not null && SlotImages?.GetValueOrDefault(slot) is { } image ? image : ImageId;
}
