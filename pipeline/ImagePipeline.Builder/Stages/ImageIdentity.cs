namespace ImagePipeline.Builder.Stages;

/// <summary>
/// Written to <c>/etc/imagepipeline/image.json</c> in every image. The image id (the SHA-256 of the
/// whole disk) cannot be inside the disk it hashes; the input digest identifies the build instead,
/// and the manifest maps it to exactly one image id.
/// </summary>
public sealed record ImageIdentity(string Name, string InputDigest, string RecipeDigest, string Base)
{
    public const string PathInImage = "etc/imagepipeline/image.json";
}
