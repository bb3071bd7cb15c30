namespace ImagePipeline.Cli;

/// <summary>Files that ship in the repository (example recipes), found from the working directory or the launcher's location.</summary>
public static class RepositoryPaths
{
    public static string Root
    {
        get
        {
            var fromLauncher = Environment.GetEnvironmentVariable("IMAGEPIPE_ROOT");
            if (fromLauncher is not null && Directory.Exists(fromLauncher))
                return fromLauncher;
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ImagePipeline.sln")))
                    return dir.FullName;
            }

            return Directory.GetCurrentDirectory();
        }
    }

    public static string Example(string name) => Path.Combine(Root, "recipes", "examples", name + ".yaml");
}
