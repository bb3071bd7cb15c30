using ImagePipeline.Server.Rollouts;

namespace ImagePipeline.Server.Tests.Rollouts;

/// <summary>Waves from a selection and a plan: sizes, hardware-variant coverage, failure domains, and plans that cannot work.</summary>
public sealed class WavePlannerTests
{
    private static RolloutMachine Machine(string id, string variant, string rack = "r1") =>
        new(id, variant, new Dictionary<string, string> { ["rack"] = rack, ["site"] = "fra1" });

    /// <summary>The lab's six: three hardware variants, two racks.</summary>
    private static List<RolloutMachine> Lab() =>
    [
        Machine("m1", "bios-virtio", "r1"), Machine("m2", "uefi-sata-e1000", "r1"), Machine("m3", "bios-scsi-rtl8139", "r1"),
        Machine("m4", "bios-virtio", "r2"), Machine("m5", "uefi-sata-e1000", "r2"), Machine("m6", "bios-scsi-rtl8139", "r2"),
    ];

    private static List<List<string>> Ids(RolloutSchedule schedule) => [.. schedule.Waves.Select(w => w.Machines.Select(m => m.Id).ToList())];

    [Fact]
    public void Plan_1_2_3_makes_a_canary_and_two_waves_that_cover_all_six_once()
    {
        var schedule = WavePlanner.Plan(Lab(), RolloutPlan.FromSteps("1+2+3"));

        schedule.Waves.Select(w => w.Name).ShouldBe(["canary", "wave 1", "wave 2"]);
        schedule.Waves.Select(w => w.Machines.Count).ShouldBe([1, 3, 2], "wave 1 grows to 3 to hold each of the three variants; wave 2 takes the rest");
        Ids(schedule).SelectMany(w => w).Order().ShouldBe(["m1", "m2", "m3", "m4", "m5", "m6"]);
        schedule.Waves[1].Machines.Select(m => m.Variant).Distinct().Count().ShouldBe(3);
        schedule.Notes.ShouldContain(n => n.Contains("wave 1 holds 3 machines, more than its size 2", StringComparison.Ordinal));
    }

    [Fact]
    public void The_same_selection_in_any_order_gives_the_same_waves()
    {
        var lab = Lab();
        var shuffled = lab.AsEnumerable().Reverse().ToList();

        Ids(WavePlanner.Plan(shuffled, RolloutPlan.FromSteps("1+2+3"))).ShouldBe(Ids(WavePlanner.Plan(lab, RolloutPlan.FromSteps("1+2+3"))));
    }

    [Fact]
    public void Percentages_are_of_the_whole_selection_and_the_last_size_repeats_until_every_machine_has_a_wave()
    {
        var fleet = Enumerable.Range(1, 100).Select(i => Machine($"n{i:000}", "bios-virtio")).ToList();

        var schedule = WavePlanner.Plan(fleet, RolloutPlan.FromSteps("2+10%+25%"));

        schedule.Waves.Select(w => w.Machines.Count).ShouldBe([2, 10, 25, 25, 25, 13]);
        schedule.Machines.ShouldBe(100);
    }

    [Fact]
    public void A_failure_domain_keeps_each_wave_in_one_rack_and_the_first_wave_covers_the_variants_even_across_racks()
    {
        var fleet = new List<RolloutMachine>();
        foreach (var rack in new[] { "r1", "r2", "r3" })
            fleet.AddRange(Enumerable.Range(1, 4).Select(i => Machine($"{rack}-{i}", i == 4 && rack == "r3" ? "uefi-nvme" : "bios-virtio", rack)));
        var plan = RolloutPlan.FromSteps("1+2+50%") with { FailureDomain = "rack", MaxDomainsPerWave = 1 };

        var schedule = WavePlanner.Plan(fleet, plan);

        var racks = schedule.Waves.Select(w => w.Machines.Select(m => m.Label("rack")).Distinct().Count()).ToList();
        racks[0].ShouldBe(1);
        schedule.Waves[1].Machines.ShouldContain(m => m.Variant == "uefi-nvme", "the only NVMe machine is in wave 1");
        racks.Skip(2).ShouldAllBe(r => r == 1, "after wave 1, one rack at a time");
        schedule.Machines.ShouldBe(12);
        schedule.Notes.ShouldContain(n => n.Contains("cut short at 1 rack domain(s) per wave", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0+2", "canary must be at least 1 machine")]
    [InlineData("1+0", "'0' is not a wave size")]
    [InlineData("1+150%", "'150%' is not a wave size")]
    [InlineData("10%+2", "the canary is a number of machines")]
    [InlineData("1++2", "joined by '+'")]
    public void A_plan_that_cannot_work_says_what_to_change(string steps, string problem)
    {
        var error = Should.Throw<Exception>(() => WavePlanner.Plan(Lab(), RolloutPlan.FromSteps(steps)));

        error.Message.ShouldContain(problem);
        (error is FormatException or ArgumentException).ShouldBeTrue();
    }

    [Fact]
    public void An_empty_selection_or_a_machine_twice_is_refused()
    {
        Should.Throw<ArgumentException>(() => WavePlanner.Plan([], new RolloutPlan())).Message.ShouldContain("selection holds no machine");
        Should.Throw<ArgumentException>(() => WavePlanner.Plan([Machine("m1", "a"), Machine("m1", "a")], new RolloutPlan())).Message.ShouldContain("m1 is in the selection twice");
    }
}
