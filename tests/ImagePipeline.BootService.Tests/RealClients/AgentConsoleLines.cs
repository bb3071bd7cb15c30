using System.Text.RegularExpressions;

namespace ImagePipeline.BootService.Tests.RealClients;

/// <summary>What the agents print on a machine's serial console at the steps real-client tests wait for.</summary>
internal static class AgentConsoleLines
{
    /// <summary>The deploy agent wrote the image and reported it: the machine reboots into it.</summary>
    public static readonly Regex Rebooting = new("imagepipeline-agent: reported; rebooting into the new image");

    /// <summary>The report agent inside the booted image was told the machine is healthy.</summary>
    public static readonly Regex HealthReported = new("imagepipeline-agent: health reported to .*: healthy");
}
