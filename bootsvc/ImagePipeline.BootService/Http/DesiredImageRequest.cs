namespace ImagePipeline.BootService.Http;

/// <summary>Body of <c>PUT /api/v1/machines/{mac}/desired-image</c>.</summary>
public sealed record DesiredImageRequest(string ImageId);
