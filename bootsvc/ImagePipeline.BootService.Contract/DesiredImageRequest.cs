namespace ImagePipeline.BootService.Contract;

/// <summary>
/// Body of <c>PUT /api/v1/machines/{mac}/desired-image</c>: the image's id, the SHA-256 of its raw
/// disk, how it gets there (<see cref="DeployModes"/>; reimage when absent), and for an image
/// without our agent the probes its health is known by (<see cref="HealthProbe"/>; none: its agent reports).
/// </summary>
public sealed record DesiredImageRequest(string ImageId, string? Mode = null, IReadOnlyList<HealthProbe>? Health = null);

/// <summary>How a machine gets its desired image.</summary>
public static class DeployModes
{
    /// <summary>The machine netboots and the deploy agent writes the whole disk (by delta where it can).</summary>
    public const string Reimage = "reimage";

    /// <summary>The agent of the machine's running system writes the image into its other A/B slot and boots it on trial; no netboot.</summary>
    public const string InPlace = "in-place";

    public static bool IsKnown(string? mode) => mode is null or Reimage or InPlace;
}
