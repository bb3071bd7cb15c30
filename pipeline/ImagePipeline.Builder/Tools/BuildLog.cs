namespace ImagePipeline.Builder.Tools;

/// <summary>The build's log: every tool's output, written as it happens so an interrupted build still explains itself.</summary>
public sealed class BuildLog : IDisposable
{
    private readonly StreamWriter writer;
    private readonly Lock gate = new();

    public BuildLog(string path)
    {
        Path = path;
        writer = new StreamWriter(path, append: false) { AutoFlush = true };
    }

    public string Path { get; }

    public void Line(string text)
    {
        lock (gate)
            writer.WriteLine(text);
    }

    public void Dispose() => writer.Dispose();
}
