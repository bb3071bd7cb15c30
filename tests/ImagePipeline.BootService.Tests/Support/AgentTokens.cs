using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.BootService.Tests.Support;

/// <summary>The agent token a deploy script hands to its machine on the kernel command line.</summary>
public static class AgentTokens
{
    public static string In(string script)
    {
        var prefix = AgentRoutes.KernelParameters.Token + "=";
        return script.Split(' ', '\n').Single(w => w.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..];
    }
}
