namespace ImagePipeline.BootService.Contract;

/// <summary>The feed's bounds.</summary>
public static class EventFeed
{
    /// <summary>The most events one page carries (and the default).</summary>
    public const int MaxLimit = 1000;

    /// <summary>The longest a request waits for an event (long poll).</summary>
    public const int MaxWaitSeconds = 60;
}
