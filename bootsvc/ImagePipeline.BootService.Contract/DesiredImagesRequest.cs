namespace ImagePipeline.BootService.Contract;

/// <summary>
/// Body of <c>PUT /api/v1/desired-images</c>: the desired images of many machines (a rollout's
/// wave), set in one transaction — all of them, or none when one entry is refused.
/// </summary>
public sealed record DesiredImagesRequest(IReadOnlyList<DesiredImageEntry> Machines)
{
    /// <summary>The most machines one request may name.</summary>
    public const int MaxMachines = 10_000;
}

/// <summary>One machine of a <see cref="DesiredImagesRequest"/>: its MAC, and its desired image as in <see cref="DesiredImageRequest"/>.</summary>
public sealed record DesiredImageEntry(string Mac, string ImageId, string? Mode = null, IReadOnlyList<HealthProbe>? Health = null);
