namespace ImagePipeline.Builder.Tests.Support;

/// <summary>What a build in progress leaves in a stage's cache directory: temporaries (and their lease files) in STAGE/.entries.</summary>
public static class CacheTemporaries
{
    public static IReadOnlyList<string> In(string stageDirectory)
    {
        var entries = Path.Combine(stageDirectory, ".entries");
        return Directory.Exists(entries) ? Directory.GetFileSystemEntries(entries, ".tmp-*") : [];
    }
}
