namespace ImagePipeline.Server.Rollouts;

/// <summary>
/// How a rollout moves through its selection: a canary, then waves by count or percentage; each
/// wave must report healthy within <see cref="WaveTimeout"/>, with at most
/// <see cref="MaxFailuresPerWave"/> failures, then bake for <see cref="Bake"/> before the next
/// starts (at once, or when an operator says so). With a failure domain (a label such as rack),
/// a wave touches at most <see cref="MaxDomainsPerWave"/> of them.
/// </summary>
public sealed record RolloutPlan
{
    public int Canary { get; init; } = 1;
    /// <summary>The waves after the canary; machines left after the last one form further waves of the last one's size.</summary>
    public IReadOnlyList<WaveSize> Waves { get; init; } = [WaveSize.Percent(10), WaveSize.Percent(30), WaveSize.Percent(100)];
    public TimeSpan Bake { get; init; } = TimeSpan.FromMinutes(10);
    public TimeSpan WaveTimeout { get; init; } = TimeSpan.FromMinutes(30);
    public int MaxFailuresPerWave { get; init; }
    /// <summary>The label whose values are failure domains (rack, site); null for none.</summary>
    public string? FailureDomain { get; init; }
    public int MaxDomainsPerWave { get; init; } = 1;
    /// <summary>Whether a wave that passed starts the next by itself, or waits for an operator.</summary>
    public bool AutoAdvance { get; init; } = true;
    /// <summary>Whether a failed wave rolls the rollout back instead of pausing it.</summary>
    public bool RollbackOnFailure { get; init; }
    /// <summary>
    /// How machines get the image: "reimage" (a one-time netboot through the BMC, the deploy agent
    /// writes the disk) or "in-place" (a machine whose healthy running system has A/B slots writes
    /// its other slot and boots it on trial, no netboot; any other machine is reimaged).
    /// </summary>
    public string Mode { get; init; } = BootService.Contract.DeployModes.Reimage;

    /// <summary>The emergency plan: a one-machine canary, a short bake, large waves.</summary>
    public static RolloutPlan Emergency { get; } = new()
    {
        Canary = 1, Waves = [WaveSize.Percent(50), WaveSize.Percent(100)], Bake = TimeSpan.FromMinutes(2), WaveTimeout = TimeSpan.FromMinutes(20), MaxFailuresPerWave = 1,
    };

    /// <summary>"1+2+3" or "1+10%+50%": the canary, then the waves.</summary>
    public static RolloutPlan FromSteps(string steps, RolloutPlan? defaults = null)
    {
        var parts = steps.Split('+', StringSplitOptions.TrimEntries);
        if (parts.Length < 1 || parts.Any(p => p.Length == 0))
            throw new FormatException($"plan '{steps}': give the canary count and the waves joined by '+', for example 1+2+3 or 1+10%+50%");
        if (int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) && count < 1)
            throw new FormatException($"plan '{steps}': canary must be at least 1 machine: the first wave is what proves an image on real hardware");
        var canary = WaveSize.Parse(parts[0]);
        if (canary.IsPercent)
            throw new FormatException($"plan '{steps}': the canary is a number of machines (1), not a percentage");
        return (defaults ?? new RolloutPlan()) with { Canary = canary.Value, Waves = [.. parts.Skip(1).Select(WaveSize.Parse)] };
    }

    /// <summary>What is wrong with the plan, in words that say what to change; empty when it is sound.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Canary < 1)
            problems.Add("canary must be at least 1 machine: the first wave is what proves an image on real hardware");
        if (Bake < TimeSpan.Zero)
            problems.Add("bake must not be negative");
        if (WaveTimeout <= TimeSpan.Zero)
            problems.Add("waveTimeout must be positive: the time a wave has to report healthy");
        if (MaxFailuresPerWave < 0)
            problems.Add("maxFailuresPerWave must be 0 or more");
        if (FailureDomain is not null && MaxDomainsPerWave < 1)
            problems.Add("maxDomainsPerWave must be at least 1 when a failure domain is set");
        return problems;
    }

    public string Describe() => $"{Canary}+{string.Join('+', Waves)}";
}
