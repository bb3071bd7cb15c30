using System.CommandLine;
using System.Globalization;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder.Artifacts;
using ImagePipeline.Builder.Caching;

namespace ImagePipeline.Cli.Verbs;

/// <summary>
/// <c>imagepipe gc</c>: removes stage-cache entries nobody holds that were replaced or have not
/// been used for a while, and what killed builds left; then chunks of the chunk store no image in
/// the artifact store names (a day old at least). Never an entry a running build uses (on any host
/// sharing the data directory), never an image in the artifact store. The server runs the same
/// collection every night, with the images nothing refers to.
/// </summary>
public static class GcVerb
{
    public static Command Create()
    {
        var unusedDays = new Option<double>("--unused-days") { Description = "remove entries not used for this many days (default 7; 0: everything no build holds)", DefaultValueFactory = _ => 7 };
        var data = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        var command = new Command("gc", "Collect the stage cache (replaced and long-unused entries that no running build holds) and the chunk store (chunks no stored image names).") { unusedDays, data };
        command.SetAction(parse =>
        {
            var days = parse.GetValue(unusedDays);
            if (days is < 0 or > 3650)
            {
                Console.Error.WriteLine($"gc: --unused-days {days} is out of range: give 0 to 3650");
                return ExitCodes.InvalidInput;
            }

            var dataDirectory = DataDirectory.Resolve(parse.GetValue(data));
            var cache = Path.Combine(dataDirectory, "cache");
            var report = StageCache.Collect(cache, TimeSpan.FromDays(days));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gc: {cache}: removed {report.Removed} entries ({report.BytesFreed / 1048576.0:0.0} MiB); {report.InUse} in use by running builds, kept"));
            // Chunks a day old that no image in the store names (its images were removed); a running build's are younger.
            var chunkStore = ArtifactStoreLayout.ChunkStore(dataDirectory);
            var chunks = ChunkStoreCollector.Collect(ArtifactStoreLayout.Root(dataDirectory), chunkStore, TimeSpan.FromDays(1), DateTime.UtcNow);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gc: {chunkStore}: removed {chunks.Removed} chunks no image names ({chunks.BytesFreed / 1048576.0:0.0} MiB)"));
            return 0;
        });
        return command;
    }
}
