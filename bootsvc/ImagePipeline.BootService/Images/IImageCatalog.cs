namespace ImagePipeline.BootService.Images;

/// <summary>Finds images by id for agent assignments.</summary>
public interface IImageCatalog
{
    BootImage? Find(string imageId);
}
