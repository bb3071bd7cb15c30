namespace ImagePipeline.Builder.Caching;

/// <summary>What a collection of the stage cache did: entries removed, the bytes they held, and entries it left because a build holds them.</summary>
public sealed class CollectionReport
{
    public int Removed { get; set; }
    public long BytesFreed { get; set; }
    public int InUse { get; set; }
}
