namespace ImagePipeline.Server.Jobs;

/// <summary>Hangfire's queues, in the order a build worker takes them: emergency work first.</summary>
public static class Queues
{
    public const string Critical = "critical";
    public const string Default = "default";
    /// <summary>QEMU work, on workers of its own so that validation never takes more cores than the machine has.</summary>
    public const string Validation = "validation";
    /// <summary>Validation of emergency rebuilds: the validation workers take it before the rest.</summary>
    public const string CriticalValidation = "critical-validation";
}
