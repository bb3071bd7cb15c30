using System.Diagnostics;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Cli.Lab;
using ImagePipeline.Recipes;
using ImagePipeline.Validation.Lab;
using ImagePipeline.Validation.Profiles;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// <c>imagepipe bench fleet</c>: the tiny image deployed to a lab of four mixed machines (blank
/// disks, netboot, Redfish power cycle, agent write, boot, health report), wall time from the
/// first power cycle to the last healthy report; against one machine alone times the rounds the
/// cores allow (the limit on this host). Goal: four healthy in under 3 minutes.
/// </summary>
public static class FleetBenchmark
{
    public static async Task<int> RunAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var options = new BuildOptions { DataDirectory = dataDirectory, ReportAgent = await AgentBinary.EnsurePublishedAsync(cancellationToken) };
        var build = await new ImageBuilder(options, NullBuildObserver.Instance).BuildAsync(RecipeParser.Load(RepositoryPaths.Example("tiny")), cancellationToken);
        var fleet = LabOptions.DefaultProfiles.Take(4).Select(HardwareProfiles.Get).ToList();

        Console.WriteLine($"one machine alone ({fleet[0].Name}):");
        var alone = await TimeAsync(dataDirectory, build.Manifest, [fleet[0]], cancellationToken);
        Console.WriteLine($"four machines ({string.Join(", ", fleet.Select(p => p.Name))}):");
        var four = await TimeAsync(dataDirectory, build.Manifest, fleet, cancellationToken);
        if (alone is null || four is null)
        {
            Console.Error.WriteLine("bench fleet: a machine did not report healthy; see above");
            return ExitCodes.Failed;
        }

        var rounds = Math.Ceiling(fleet.Count / (double)Environment.ProcessorCount);
        var limit = alone.Value * rounds;
        BenchTable.Header();
        BenchTable.Row("4 machines netbooted, written, healthy", $"{four.Value:0.0} s", $"{limit:0.0} s", four.Value / limit, "< 180 s");
        Console.WriteLine($"(limit: one machine alone, {alone.Value:0.0} s, times {rounds:0} rounds for {fleet.Count} machines on {Environment.ProcessorCount} cores)");
        return four.Value < 180 ? ExitCodes.Success : ExitCodes.Failed;
    }

    private static async Task<double?> TimeAsync(string data, ImageManifest manifest, IReadOnlyList<Validation.Machines.QemuMachine> profiles, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var outcomes = await FreshLab.DeployAsync(data, manifest, profiles, "bench-fleet", TimeSpan.FromMinutes(10), null, null, cancellationToken);
        foreach (var outcome in outcomes)
            Console.WriteLine($"  {(outcome.Healthy ? "✓" : "✗")} {outcome.Name,-18} {(outcome.Healthy ? "healthy" : outcome.Error)} after {outcome.Seconds:0.0} s");
        return outcomes.All(o => o.Healthy) ? outcomes.Max(o => o.Seconds) : null;
    }
}
