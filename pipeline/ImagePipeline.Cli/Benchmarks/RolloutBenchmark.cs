using System.Diagnostics;
using ImagePipeline.Server.Rollouts;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// <c>imagepipe bench rollout</c>: the rollout controller's own cost on a fleet of 100,000
/// simulated machines (4 sites, racks of 40, six hardware variants; simulated agents report
/// healthy 3–6 simulated minutes after their wave starts, one in 5,000 fails): time to plan (with
/// and without one rack at a time), time per wave decision while reports arrive, and memory. The
/// limit for a decision is one bare pass over the same wave's outcomes, measured in the same run.
/// </summary>
public static class RolloutBenchmark
{
    private static readonly string[] Variants = ["bios-virtio", "uefi-virtio", "uefi-nvme", "bios-sata-e1000", "uefi-sata-e1000", "bios-scsi-rtl8139"];

    public static Task<int> RunAsync(int machines)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var fleet = Fleet(machines);
        var fleetBytes = GC.GetTotalMemory(forceFullCollection: true) - before;

        // The planner's floor: it must at least put the machines in a fixed order.
        var watch = Stopwatch.StartNew();
        _ = fleet.OrderBy(m => m.Id, StringComparer.Ordinal).ToArray();
        var sortSeconds = watch.Elapsed.TotalSeconds;

        var plan = RolloutPlan.FromSteps("1+1%+10%+25%") with { Bake = TimeSpan.FromMinutes(10), WaveTimeout = TimeSpan.FromMinutes(30), MaxFailuresPerWave = machines / 1000 };
        watch.Restart();
        var schedule = WavePlanner.Plan(fleet, plan);
        var planSeconds = watch.Elapsed.TotalSeconds;
        var byRack = plan with { FailureDomain = "rack", MaxDomainsPerWave = 1 };
        watch.Restart();
        var rackSchedule = WavePlanner.Plan(fleet, byRack);
        var rackPlanSeconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"{machines} machines in {fleet.Select(m => m.Labels["rack"]).Distinct().Count()} racks: plan {plan.Describe()} → {schedule.Waves.Count} waves ({string.Join(", ", schedule.Waves.Select(w => w.Machines.Count))}) in {planSeconds * 1000:0} ms; one rack at a time → {rackSchedule.Waves.Count} waves in {rackPlanSeconds * 1000:0} ms");

        var random = new Random(20261201);
        var decisions = new List<double>();
        var floors = new List<double>();
        var start = DateTimeOffset.UnixEpoch;
        var simulated = TimeSpan.Zero;
        foreach (var wave in schedule.Waves)
        {
            // Simulated agents: when each machine of the wave will report, and how.
            var reports = wave.Machines.Select(m => (m.Id, At: start + TimeSpan.FromSeconds(180 + random.Next(180)), Fails: random.Next(5000) == 0))
                .OrderBy(r => r.At).ToArray();
            var progress = wave.Machines.Select(m => new MachineProgress(m.Id, MachineOutcome.Deploying, start)).ToArray();
            var index = wave.Machines.Select((m, i) => (m.Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);
            var next = 0;
            WaveVerdict verdict;
            var now = start;
            do
            {
                now += TimeSpan.FromSeconds(15);
                for (; next < reports.Length && reports[next].At <= now; next++)
                {
                    var report = reports[next];
                    progress[index[report.Id]] = new MachineProgress(report.Id, report.Fails ? MachineOutcome.Failed : MachineOutcome.Healthy, report.At, report.Fails ? "check failed" : null);
                }

                var tick = Stopwatch.GetTimestamp();
                verdict = WaveGate.Decide(progress, start, plan, now);
                var decided = Stopwatch.GetTimestamp();
                var healthy = 0;
                foreach (var machine in progress)
                {
                    if (machine.Outcome == MachineOutcome.Healthy)
                        healthy++;
                }

                var floor = Stopwatch.GetTimestamp();
                if (wave.Machines.Count == schedule.Waves.Max(w => w.Machines.Count))
                {
                    decisions.Add(Stopwatch.GetElapsedTime(tick, decided).TotalMilliseconds);
                    floors.Add(Stopwatch.GetElapsedTime(decided, floor).TotalMilliseconds + (healthy < 0 ? 1 : 0));
                }
            }
            while (verdict.Decision is WaveDecision.Waiting or WaveDecision.Baking);

            Console.WriteLine($"  {wave.Name}: {wave.Machines.Count} machine(s), {verdict.Decision.ToString().ToLowerInvariant()} at +{(now - start).TotalMinutes:0.0} min: {verdict.Reason}");
            if (verdict.Decision == WaveDecision.Failed)
                break;
            simulated += now - start;
            start = now;
        }

        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        decisions.Sort();
        floors.Sort();
        var p50 = decisions[decisions.Count / 2];
        var worst = decisions[^1];
        var floorP50 = floors[floors.Count / 2];
        var floorWorst = floors[^1];
        Console.WriteLine($"  simulated rollout: {simulated.TotalHours:0.0} h; {decisions.Count} decisions on the largest wave");

        BenchTable.Header();
        BenchTable.Row($"plan {machines} machines ({plan.Describe()})", $"{planSeconds * 1000:0} ms", $"{sortSeconds * 1000:0} ms", planSeconds / sortSeconds, "< 2 s (limit: sorting the ids)");
        BenchTable.Row($"plan, one rack at a time ({rackSchedule.Waves.Count} waves)", $"{rackPlanSeconds * 1000:0} ms", $"{sortSeconds * 1000:0} ms", rackPlanSeconds / sortSeconds, "< 5 s");
        BenchTable.Row($"wave decision p50 ({schedule.Waves.Max(w => w.Machines.Count)} machines)", $"{p50:0.00} ms", $"{floorP50:0.00} ms", p50 / Math.Max(floorP50, 1e-6), "< 100 ms (limit: one bare pass)");
        BenchTable.Row("wave decision, worst", $"{worst:0.00} ms", $"{floorWorst:0.00} ms", worst / Math.Max(floorWorst, 1e-6), "< 250 ms");
        BenchTable.Row("memory: peak working set", $"{peak / 1048576.0:0} MiB", $"{fleetBytes / 1048576.0:0} MiB", peak / (double)fleetBytes, "< 1024 MiB (limit: the fleet model alone)");
        return Task.FromResult(ExitCodes.Success);
    }

    /// <summary>Machines fra1-r0001-01 ...: 4 sites, racks of 40, the six variants spread unevenly (as real fleets are).</summary>
    private static List<RolloutMachine> Fleet(int count)
    {
        var fleet = new List<RolloutMachine>(count);
        for (var i = 0; i < count; i++)
        {
            var rack = i / 40;
            var site = $"site-{rack % 4}";
            var variant = Variants[(i * 7 + rack) % 11 % Variants.Length];
            fleet.Add(new RolloutMachine($"{site}-r{rack:0000}-{i % 40:00}", variant,
                new Dictionary<string, string>(StringComparer.Ordinal) { ["site"] = site, ["rack"] = $"{site}-r{rack:0000}", ["role"] = "worker" }));
        }

        return fleet;
    }
}
