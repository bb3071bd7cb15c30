using System.Globalization;
using System.Text.RegularExpressions;
using ImagePipeline.Validation.Checks;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Profiles;
using YamlDotNet.RepresentationModel;

namespace ImagePipeline.Validation.Running;

/// <summary>
/// What to validate an image on: the hardware profiles and the checks, from a recipe's
/// <c>validate:</c> section (or the defaults). The built-in checks come first (ready, network,
/// no failed units), the recipe's after them, the kernel's health last.
/// </summary>
public sealed record ValidationPlan(IReadOnlyList<QemuMachine> Profiles, IReadOnlyList<ValidationCheck> Checks, int Retries)
{
    public static readonly string[] DefaultProfiles = ["bios-virtio", "uefi-virtio", "uefi-nvme", "bios-sata-e1000"];
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    public static ValidationPlan Default(IEnumerable<string>? profiles = null) => FromSection(null, profiles);

    /// <param name="section">the recipe's validate mapping, or null</param>
    /// <param name="onlyProfiles">profiles asked for on the command line (overrides the recipe's list)</param>
    /// <param name="smoke">an emergency: only the recipe's smoke profiles (validate.smoke; without it, the first profile)</param>
    /// <param name="agentless">an image built elsewhere, without our agent: no built-in check that reads its boot report
    /// (network, failed units), the console's ready line only when <c>ready:</c> names one, no command checks</param>
    public static ValidationPlan FromSection(YamlMappingNode? section, IEnumerable<string>? onlyProfiles = null, bool smoke = false, bool agentless = false)
    {
        var fields = section?.Children.ToDictionary(e => ((YamlScalarNode)e.Key).Value ?? "", e => e.Value, StringComparer.Ordinal) ?? [];
        var timeout = fields.TryGetValue("timeout", out var t) ? Seconds(t, "validate.timeout") : DefaultTimeout;
        var retries = fields.TryGetValue("retries", out var r) ? int.Parse(Scalar(r, "validate.retries"), CultureInfo.InvariantCulture) : 0;
        if (retries is < 0 or > 1)
            throw new FormatException("validate.retries must be 0 or 1 (one retry per check is allowed for known flakes)");

        var profiles = new List<QemuMachine>();
        if (fields.TryGetValue("profiles", out var list) && list is YamlSequenceNode sequence)
        {
            foreach (var item in sequence)
            {
                profiles.Add(item switch
                {
                    YamlScalarNode { Value: { } name } => HardwareProfiles.Get(name),
                    YamlMappingNode inline => InlineProfile(inline),
                    _ => throw new FormatException("each validate.profiles item is a catalogue name or a mapping with 'name:' and hardware fields"),
                });
            }
        }
        else
        {
            profiles.AddRange(DefaultProfiles.Select(HardwareProfiles.Get));
        }

        if (smoke)
        {
            var names = fields.TryGetValue("smoke", out var smokeNode) && smokeNode is YamlSequenceNode smokeList
                ? smokeList.Select(item => Scalar(item, "validate.smoke")).ToList()
                : [profiles[0].Name];
            onlyProfiles = names.Count > 0 ? names : throw new FormatException("validate.smoke lists at least one profile (the emergency rebuild's quick set)");
        }

        if (onlyProfiles?.ToList() is { Count: > 0 } only)
            profiles = only.Select(name => profiles.FirstOrDefault(p => p.Name == name) ?? HardwareProfiles.Get(name)).ToList();

        var ready = fields.TryGetValue("ready", out var readyNode) ? new Regex(Scalar(readyNode, "validate.ready"), RegexOptions.Multiline) : ReadyCheck.LoginPrompt;
        List<ValidationCheck> checks = agentless
            ? readyNode is null ? [] : [new ReadyCheck(ready, timeout)]
            : [new ReadyCheck(ready, timeout), new NetworkCheck(timeout), new FailedUnitsCheck(timeout)];
        if (fields.TryGetValue("checks", out var checkList) && checkList is YamlSequenceNode checkItems)
            checks.AddRange(checkItems.Select(item => ParseCheck(item, timeout)));
        if (agentless && checks.OfType<CommandCheck>().FirstOrDefault() is { } command)
            throw new FormatException($"check '{command.Name}': command checks run through our agent, which an image built elsewhere does not have; use tcp, http or console checks");
        checks.Add(new KernelHealthCheck());
        return new ValidationPlan(profiles, checks, retries);
    }

    private static QemuMachine InlineProfile(YamlMappingNode node)
    {
        var name = node.Children.FirstOrDefault(e => ((YamlScalarNode)e.Key).Value == "name").Value is YamlScalarNode { Value: { } n } ? n
            : throw new FormatException("an inline profile needs 'name:'");
        var hardware = new YamlMappingNode(node.Children.Where(e => ((YamlScalarNode)e.Key).Value != "name"));
        return HardwareProfiles.Parse(name, hardware);
    }

    private static ValidationCheck ParseCheck(YamlNode item, TimeSpan defaultTimeout)
    {
        if (item is not YamlMappingNode { Children.Count: >= 1 } mapping)
            throw new FormatException($"line {item.Start.Line}: a check is a mapping such as 'console: REGEX', 'command: ...', 'tcp: PORT', 'http: {{...}}' or 'screenshot: true'");
        var (kindNode, value) = mapping.Children.First();
        var kind = ((YamlScalarNode)kindNode).Value;
        var options = value as YamlMappingNode;
        string? Option(string key) => options?.Children.FirstOrDefault(e => ((YamlScalarNode)e.Key).Value == key).Value is YamlScalarNode { Value: { } v } ? v : null;
        var timeout = Option("timeout") is { } seconds ? TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture))
            : mapping.Children.FirstOrDefault(e => ((YamlScalarNode)e.Key).Value == "timeout").Value is YamlScalarNode { Value: { } s } ? TimeSpan.FromSeconds(double.Parse(s, CultureInfo.InvariantCulture))
            : defaultTimeout;
        return kind switch
        {
            "console" => new ConsoleCheck(new Regex(Scalar(value, "console"), RegexOptions.Multiline), timeout),
            "command" => options is null
                ? new CommandCheck(Scalar(value, "command"), null, timeout)
                : new CommandCheck(Option("run") ?? throw new FormatException("command: {run: ..., output: REGEX}"), Option("output") is { } o ? new Regex(o, RegexOptions.Multiline) : null, timeout),
            "tcp" => new TcpCheck(int.Parse(options is null ? Scalar(value, "tcp") : Option("port") ?? "", CultureInfo.InvariantCulture), timeout),
            "http" => new HttpCheck(
                int.Parse(Option("port") ?? "80", CultureInfo.InvariantCulture),
                Option("path") ?? "/",
                int.Parse(Option("status") ?? "200", CultureInfo.InvariantCulture),
                Option("body") is { } body ? new Regex(body) : null,
                timeout),
            "screenshot" => new ScreenshotCheck(),
            _ => throw new FormatException($"line {item.Start.Line}: unknown check '{kind}'; use console, command, tcp, http or screenshot"),
        };
    }

    private static string Scalar(YamlNode node, string what) =>
        node is YamlScalarNode { Value: { } value } ? value : throw new FormatException($"line {node.Start.Line}: {what} must be a single value");

    private static TimeSpan Seconds(YamlNode node, string what) =>
        TimeSpan.FromSeconds(double.Parse(Scalar(node, what), CultureInfo.InvariantCulture));
}
