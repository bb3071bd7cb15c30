using System.Text.Json;
using ImagePipeline.Builder;

namespace ImagePipeline.Cli.Output;

/// <summary>Build progress for programs: one JSON object per line (<c>event</c>: stage-started, stage-finished, message, manifest, error).</summary>
public sealed class JsonBuildObserver(TextWriter output) : IBuildObserver
{
    private readonly Lock gate = new();

    public void StageStarted(string stage) => Write(new { @event = "stage-started", stage });

    public void StageFinished(string stage, TimeSpan elapsed, bool cached) =>
        Write(new { @event = "stage-finished", stage, seconds = Math.Round(elapsed.TotalSeconds, 2), cached });

    public void Message(string text) => Write(new { @event = "message", text });

    public void Write(object value)
    {
        lock (gate)
            output.WriteLine(JsonSerializer.Serialize(value, Compact));
    }

    private static readonly JsonSerializerOptions Compact = new(ManifestJson.Options) { WriteIndented = false };
}
