namespace ImagePipeline.Server.State;

/// <summary>Where a pipeline run is: queued → building → validating → candidate, or unchanged (same input, same image) or failed.</summary>
public enum RunState
{
    Queued,
    Building,
    Validating,
    Candidate,
    /// <summary>The build produced an image that is already a version: nothing new to validate or promote.</summary>
    Unchanged,
    Failed,
}
