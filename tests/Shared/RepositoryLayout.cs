namespace ImagePipeline.Tests.Shared;

/// <summary>Where the repository's own files (example recipes) are, found from the test binary's location. Compiled into every test project.</summary>
internal static class RepositoryLayout
{
    public static string Root
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "ImagePipeline.sln")))
                    return d.FullName;
            }

            throw new InvalidOperationException("tests run from inside the repository");
        }
    }

    public static string Example(string name) => Path.Combine(Root, "recipes", "examples", name + ".yaml");
}
