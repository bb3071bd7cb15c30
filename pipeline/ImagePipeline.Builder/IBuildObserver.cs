namespace ImagePipeline.Builder;

/// <summary>Receives a build's progress: stage boundaries with timings, and notable messages.</summary>
public interface IBuildObserver
{
    void StageStarted(string stage);
    void StageFinished(string stage, TimeSpan elapsed, bool cached);
    void Message(string text);
}
