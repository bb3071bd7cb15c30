namespace ImagePipeline.Server.Rollouts;

/// <summary>One wave of a schedule: wave 0 is the canary.</summary>
public sealed record PlannedWave(int Number, IReadOnlyList<RolloutMachine> Machines)
{
    public string Name => Number == 0 ? "canary" : $"wave {Number}";
}

/// <summary>The waves a plan makes of a selection, and what the planner had to bend to make them (said, never silent).</summary>
public sealed record RolloutSchedule(IReadOnlyList<PlannedWave> Waves, IReadOnlyList<string> Notes)
{
    public int Machines => Waves.Sum(w => w.Machines.Count);
}
