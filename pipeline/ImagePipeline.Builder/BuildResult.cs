namespace ImagePipeline.Builder;

/// <summary>A published image: where it is, its manifest, and whether an identical image was already stored.</summary>
public sealed record BuildResult(string Directory, ImageManifest Manifest, bool AlreadyStored);
