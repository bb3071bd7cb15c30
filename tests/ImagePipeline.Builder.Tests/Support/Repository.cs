namespace ImagePipeline.Builder.Tests.Support;

public static class Repository
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
