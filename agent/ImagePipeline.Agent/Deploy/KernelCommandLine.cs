using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Agent.Deploy;

/// <summary>What the boot service's deploy script put on the kernel command line for the agent.</summary>
public sealed record KernelCommandLine(Uri Server, string Token, string? Mac)
{
    public static KernelCommandLine Parse(string cmdline)
    {
        var values = cmdline.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(arg => arg.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .GroupBy(kv => kv[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);
        if (!values.TryGetValue(AgentRoutes.KernelParameters.Server, out var server) || !Uri.TryCreate(server, UriKind.Absolute, out var uri))
            throw new FormatException($"the kernel command line has no {AgentRoutes.KernelParameters.Server}=URL; was this booted by the boot service's deploy script?");
        if (!values.TryGetValue(AgentRoutes.KernelParameters.Token, out var token) || token.Length == 0)
            throw new FormatException($"the kernel command line has no {AgentRoutes.KernelParameters.Token}=TOKEN");
        return new KernelCommandLine(uri, token, values.GetValueOrDefault(AgentRoutes.KernelParameters.Mac));
    }
}
