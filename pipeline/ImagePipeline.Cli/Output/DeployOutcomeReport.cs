using ImagePipeline.Validation.Lab.Deployment;

namespace ImagePipeline.Cli.Output;

/// <summary>How each machine of a deployment ended (<c>lab deploy</c>, <c>validate --pxe</c>): healthy or why not, after how long, and its phases.</summary>
public static class DeployOutcomeReport
{
    public static void Print(IReadOnlyList<DeployOutcome> outcomes)
    {
        foreach (var outcome in outcomes)
        {
            Console.WriteLine($"  {(outcome.Healthy ? "✓" : "✗")} {outcome.Name,-8} {(outcome.Healthy ? "healthy" : outcome.Error)} after {outcome.Seconds:0.0} s");
            foreach (var phase in outcome.Phases)
                Console.WriteLine($"      {phase.Phase,-24} {phase.Seconds,6:0.0} s  {phase.Detail}");
        }

        Console.WriteLine($"{outcomes.Count(o => o.Healthy)} of {outcomes.Count} healthy");
    }
}
