using System.Text.Json.Nodes;
using ImagePipeline.Server.Api;
using ImagePipeline.Server.State;

namespace ImagePipeline.Cli.Demo;

/// <summary>The rollout as the terminal shows it: one line per change (a machine's state, the rollout's reason), and the waves as bars.</summary>
public sealed class RolloutProgress
{
    private readonly Dictionary<string, TargetState> states = [];
    private string reason = "";

    /// <summary>Prints what changed since the last view; true when the rollout has ended.</summary>
    public bool Show(JsonNode rollout)
    {
        var now = DateTimeOffset.Now.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var target in rollout["targets"]!.AsArray())
        {
            var machine = target!["machine"]!.GetValue<string>();
            var state = StateOf(target);
            if (states.TryGetValue(machine, out var was) && was == state)
                continue;
            states[machine] = state;
            if (state != TargetState.Pending)
            {
                var wave = target["wave"]!.GetValue<int>();
                Console.WriteLine($"  {now}  {(wave == 0 ? "canary" : $"wave {wave}"),-7} {machine,-8} {RolloutView.Lower(state)}{(target["reason"]?.GetValue<string>() is { } why ? $": {why}" : "")}");
            }
        }

        var said = rollout["reason"]!.GetValue<string>();
        var ended = rollout["state"]!.GetValue<string>() != RolloutView.Lower(RolloutState.Running);
        if (said != reason && said.Length > 0)
        {
            reason = said;
            Console.WriteLine($"  {now}  {Bars(rollout)}  {said}");
        }

        return ended;
    }

    /// <summary>Each wave as a bar: ■ healthy, ✗ failed, ▶ deploying, · pending.</summary>
    public static string Bars(JsonNode rollout) => string.Join(" | ", rollout["targets"]!.AsArray()
        .GroupBy(t => t!["wave"]!.GetValue<int>()).OrderBy(g => g.Key)
        .Select(g => string.Concat(g.Select(t => StateOf(t!) switch { TargetState.Healthy => '■', TargetState.Failed => '✗', TargetState.Deploying => '▶', _ => '·' }))));

    /// <summary>A target's state as the server's API names it (<see cref="RolloutView.Lower{T}"/>), read back.</summary>
    /// <summary>A target's state, as the rollouts API gives it.</summary>
    public static TargetState StateOf(JsonNode target) => Enum.Parse<TargetState>(target["state"]!.GetValue<string>(), ignoreCase: true);
}
