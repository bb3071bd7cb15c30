namespace ImagePipeline.Server.State;

/// <summary>
/// A physical machine the server can roll images onto: how the boot service knows it (MAC), what
/// hardware it is (variant: the validation profile it matches), where it is (site, rack, labels)
/// and its BMC (a Redfish service, the system's path, credentials — never shown by the API).
/// Its live state (deploying, healthy, current image) is the boot service's.
/// </summary>
public sealed class Machine
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public required string Mac { get; set; }
    public required string Variant { get; set; }
    public string? Site { get; set; }
    public string? Rack { get; set; }
    /// <summary>Other labels, "key=value" joined by ',' (role=db,tier=gold).</summary>
    public string Labels { get; set; } = "";
    public required string BmcUrl { get; set; }
    public required string BmcSystem { get; set; }
    public string? BmcUser { get; set; }
    public string? BmcPassword { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>Every label including site and rack, as the selector and the planner see them.</summary>
    public IReadOnlyDictionary<string, string> AllLabels()
    {
        var labels = Labels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        if (Site is not null)
            labels["site"] = Site;
        if (Rack is not null)
            labels["rack"] = Rack;
        return labels;
    }
}
