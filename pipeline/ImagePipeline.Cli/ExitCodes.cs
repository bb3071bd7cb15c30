namespace ImagePipeline.Cli;

/// <summary>Exit codes operators script against.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The work was attempted and failed (a build step, a boot).</summary>
    public const int Failed = 1;
    /// <summary>The input is wrong (recipe lint, usage); nothing was written.</summary>
    public const int InvalidInput = 2;
    /// <summary>Cancelled by the operator (Ctrl-C).</summary>
    public const int Cancelled = 130;
}
