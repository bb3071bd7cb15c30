namespace ImagePipeline.Cli.Benchmarks;

/// <summary>How long a simulated machine's own steps take: firmware to its boot script, writing the image, the reboot, the boot to its health report.</summary>
internal sealed record MachineTiming(TimeSpan Firmware, TimeSpan Write, TimeSpan Reboot, TimeSpan Boot)
{
    public TimeSpan Total => Firmware + Write + Reboot + Boot;
}
