using System.Globalization;

namespace ImagePipeline.Server.Rollouts;

/// <summary>
/// Turns a selection and a plan into waves. Deterministic (machines in id order, ties broken by
/// name), one pass over the selection plus a scan of the failure domains per wave. The rules:
/// the canary comes from the most common hardware variants; the first wave after it holds at
/// least one machine of every variant the selection has (growing past its size, or past the
/// domain limit, if it must — said in a note); every wave draws from at most
/// <see cref="RolloutPlan.MaxDomainsPerWave"/> failure domains, the fullest first, and a wave the
/// limit cuts short leaves its machines to later waves; machines left after the listed waves
/// form further waves of the last size.
/// </summary>
public static class WavePlanner
{
    public static RolloutSchedule Plan(IReadOnlyList<RolloutMachine> selection, RolloutPlan plan)
    {
        if (plan.Problems() is { Count: > 0 } problems)
            throw new ArgumentException($"plan {plan.Describe()}: {string.Join("; ", problems)}");
        if (selection.Count == 0)
            throw new ArgumentException("the selection holds no machine: check the selector's labels, site and rack");
        var pool = new Pool(selection, plan.FailureDomain);
        var notes = new List<string>();
        var maxDomains = plan.FailureDomain is null ? int.MaxValue : plan.MaxDomainsPerWave;
        var waves = new List<PlannedWave>();

        var canarySize = Math.Min(plan.Canary, selection.Count);
        if (canarySize < plan.Canary)
            notes.Add($"the canary is the whole selection: {selection.Count} machine(s), fewer than {plan.Canary}");
        var canaryVariants = pool.VariantsByCount().Take(canarySize).ToList();
        waves.Add(new PlannedWave(0, pool.Take(canarySize, maxDomains, canaryVariants, out _)));

        var sizes = plan.Waves.Count > 0 ? plan.Waves : [WaveSize.Percent(100)];
        var capped = 0;
        for (var i = 0; pool.Remaining > 0; i++)
        {
            var size = sizes[Math.Min(i, sizes.Count - 1)].Resolve(selection.Count);
            IReadOnlyList<string> seeds = [];
            if (i == 0)
            {
                seeds = pool.VariantsLeft();
                foreach (var gone in pool.AllVariants.Except(seeds, StringComparer.Ordinal))
                    notes.Add($"variant {gone} has no machine left after the canary: wave 1 cannot include it");
                if (seeds.Count > size)
                {
                    notes.Add($"wave 1 holds {seeds.Count} machines, more than its size {size}, so that each of the {seeds.Count} hardware variants has one");
                    size = seeds.Count;
                }
            }

            var machines = pool.Take(size, maxDomains, seeds, out var spannedDomains);
            if (i == 0 && spannedDomains > maxDomains)
                notes.Add($"wave 1 spans {spannedDomains} {plan.FailureDomain} domains (limit {maxDomains}) to cover every hardware variant");
            if (machines.Count < size && pool.Remaining > 0)
                capped++;
            waves.Add(new PlannedWave(waves.Count, machines));
        }

        if (capped > 0)
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"{capped} wave(s) were cut short at {maxDomains} {plan.FailureDomain} domain(s) per wave: {waves.Count - 1} waves after the canary"));
        return new RolloutSchedule(waves, notes);
    }

    /// <summary>The machines not yet in a wave, by failure domain and by variant, each list in id order with a cursor past the taken ones.</summary>
    private sealed class Pool
    {
        private readonly RolloutMachine[] machines;
        private readonly bool[] taken;
        private readonly Dictionary<string, Domain> domains = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> variantsLeft = new(StringComparer.Ordinal);

        public Pool(IReadOnlyList<RolloutMachine> selection, string? domainKey)
        {
            machines = [.. selection.OrderBy(m => m.Id, StringComparer.Ordinal)];
            for (var i = 1; i < machines.Length; i++)
            {
                if (machines[i].Id == machines[i - 1].Id)
                    throw new ArgumentException($"machine {machines[i].Id} is in the selection twice");
            }

            taken = new bool[machines.Length];
            for (var i = 0; i < machines.Length; i++)
            {
                var machine = machines[i];
                var name = domainKey is null ? "" : machine.Label(domainKey) ?? "(none)";
                if (!domains.TryGetValue(name, out var domain))
                    domains[name] = domain = new Domain(name);
                domain.Add(i, machine.Variant);
                variantsLeft[machine.Variant] = variantsLeft.GetValueOrDefault(machine.Variant) + 1;
            }

            AllVariants = [.. variantsLeft.Keys.Order(StringComparer.Ordinal)];
            Remaining = machines.Length;
        }

        public IReadOnlyList<string> AllVariants { get; }
        public int Remaining { get; private set; }

        public IEnumerable<string> VariantsByCount() =>
            variantsLeft.Where(v => v.Value > 0).OrderByDescending(v => v.Value).ThenBy(v => v.Key, StringComparer.Ordinal).Select(v => v.Key);

        public IReadOnlyList<string> VariantsLeft() => [.. variantsLeft.Where(v => v.Value > 0).Select(v => v.Key).Order(StringComparer.Ordinal)];

        /// <summary>Up to <paramref name="size"/> machines: first one of each seed variant, then the chosen domains in id order, adding the fullest domain while the limit allows.</summary>
        public List<RolloutMachine> Take(int size, int maxDomains, IReadOnlyList<string> seedVariants, out int domainsUsed)
        {
            var chosen = new List<Domain>();
            var wave = new List<RolloutMachine>(Math.Min(size, Remaining));
            foreach (var variant in seedVariants)
            {
                var domain = chosen.FirstOrDefault(d => d.Has(variant, taken))
                    ?? domains.Values.Where(d => d.Has(variant, taken)).OrderByDescending(d => d.Left).ThenBy(d => d.Name, StringComparer.Ordinal).FirstOrDefault();
                if (domain is null)
                    continue;
                if (!chosen.Contains(domain))
                    chosen.Add(domain);
                TakeAt(domain.NextOf(variant, taken), domain, wave);
            }

            while (wave.Count < size && Remaining > 0)
            {
                var domain = chosen.FirstOrDefault(d => d.Left > 0);
                if (domain is null)
                {
                    if (chosen.Count >= maxDomains)
                        break;
                    domain = domains.Values.Where(d => d.Left > 0).OrderByDescending(d => d.Left).ThenBy(d => d.Name, StringComparer.Ordinal).First();
                    chosen.Add(domain);
                }

                TakeAt(domain.Next(taken), domain, wave);
            }

            domainsUsed = chosen.Count;
            return wave;
        }

        private void TakeAt(int index, Domain domain, List<RolloutMachine> wave)
        {
            taken[index] = true;
            domain.Left--;
            Remaining--;
            variantsLeft[machines[index].Variant]--;
            wave.Add(machines[index]);
        }
    }

    private sealed class Domain(string name)
    {
        private readonly List<int> all = [];
        private readonly Dictionary<string, (List<int> Machines, int Cursor)> byVariant = new(StringComparer.Ordinal);
        private int cursor;

        public string Name { get; } = name;
        public int Left { get; set; }

        public void Add(int index, string variant)
        {
            all.Add(index);
            if (!byVariant.TryGetValue(variant, out var list))
                byVariant[variant] = list = ([], 0);
            list.Machines.Add(index);
            Left++;
        }

        public bool Has(string variant, bool[] taken)
        {
            if (!byVariant.TryGetValue(variant, out var list))
                return false;
            while (list.Cursor < list.Machines.Count && taken[list.Machines[list.Cursor]])
                list.Cursor++;
            byVariant[variant] = list;
            return list.Cursor < list.Machines.Count;
        }

        /// <summary>The next untaken machine of a variant (call <see cref="Has"/> first).</summary>
        public int NextOf(string variant, bool[] taken)
        {
            Has(variant, taken);
            return byVariant[variant].Machines[byVariant[variant].Cursor];
        }

        public int Next(bool[] taken)
        {
            while (taken[all[cursor]])
                cursor++;
            return all[cursor];
        }
    }
}
