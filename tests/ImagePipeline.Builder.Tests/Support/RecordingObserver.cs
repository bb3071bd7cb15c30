using System.Collections.Concurrent;
using ImagePipeline.Builder;

namespace ImagePipeline.Builder.Tests.Support;

/// <summary>Keeps what a build reported, so tests can ask which stages ran and which came from the cache.</summary>
public sealed class RecordingObserver : IBuildObserver
{
    public ConcurrentDictionary<string, bool> Cached { get; } = new();
    public ConcurrentQueue<string> Messages { get; } = new();
    public Action<string>? OnStageStarted { get; init; }

    public void StageStarted(string stage) => OnStageStarted?.Invoke(stage);

    public void StageFinished(string stage, TimeSpan elapsed, bool cached) => Cached[stage] = cached;

    public void Message(string text) => Messages.Enqueue(text);
}
