namespace ImagePipeline.BootService.Contract;

/// <summary>Body of <c>PUT /api/v1/machines/{mac}/desired-image</c>: the image's id, the SHA-256 of its raw disk.</summary>
public sealed record DesiredImageRequest(string ImageId);
