using System.Globalization;

namespace ImagePipeline.BootService.Contract;

/// <summary>
/// A check the boot service makes from outside a machine, at the address it knows for it, for an
/// image without our agent inside: the machine is healthy once every probe passes. <c>tcp</c>: a
/// connection to <see cref="Port"/> is accepted. <c>http</c>: GET <see cref="Path"/> on
/// <see cref="Port"/> answers <see cref="Status"/>, with a body matching <see cref="Body"/> when given.
/// </summary>
public sealed record HealthProbe(string Kind, int Port, string? Path = null, int? Status = null, string? Body = null)
{
    public const string Tcp = "tcp";
    public const string Http = "http";

    /// <summary>How people read it: "tcp 22", "http :80/healthz".</summary>
    public override string ToString() => Kind == Http ? $"http :{Port.ToString(CultureInfo.InvariantCulture)}{Path ?? "/"}" : $"tcp {Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>What is wrong with it, in words, or null.</summary>
    public string? Problem() => Kind switch
    {
        _ when Port is < 1 or > 65535 => $"{this}: port must be 1-65535",
        Tcp => null,
        Http when Path is not null && !Path.StartsWith('/') => $"{this}: the path starts with '/'",
        Http when Status is < 100 or > 599 => $"{this}: status must be 100-599",
        Http => null,
        _ => $"probe kind '{Kind}': use tcp or http",
    };
}
