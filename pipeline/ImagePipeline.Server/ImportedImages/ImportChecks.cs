using System.Text.Json;
using ImagePipeline.BootService.Contract;
using ImagePipeline.Validation.Checks;
using ImagePipeline.Validation.Running;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ImagePipeline.Server.ImportedImages;

/// <summary>
/// What an imported image's name is checked by: a document with a recipe's <c>validate:</c>
/// section (profiles, timeout, <c>ready:</c>, checks), read for an image without our agent
/// (<see cref="ValidationPlan.FromSection"/> with agentless). Its tcp and http checks are also the
/// image's health on machines, probed from outside by their boot service, so it needs one at least.
/// </summary>
public sealed record ImportChecks(string Yaml, ValidationPlan Plan, IReadOnlyList<HealthProbe> Probes)
{
    public const string Example = """
        validate:
          profiles: [uefi-virtio, bios-virtio]
          checks:
            - tcp: 22
            - http: { port: 80, path: /healthz, status: 200 }
        """;

    /// <exception cref="FormatException">what to fix, in words</exception>
    public static ImportChecks Parse(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new FormatException($"line {e.Start.Line}: {e.Message}");
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new FormatException($"give one YAML document with a 'validate:' mapping, as in a recipe, for example:\n{Example}");
        var unknown = root.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value).Where(k => k != "validate").ToList();
        if (unknown.Count > 0)
            throw new FormatException($"unknown field(s) {string.Join(", ", unknown)}: an imported image's checks are its 'validate:' section only");
        if (!root.Children.TryGetValue(new YamlScalarNode("validate"), out var node) || node is not YamlMappingNode section)
            throw new FormatException($"'validate:' must be a mapping (profiles, timeout, ready, checks), for example:\n{Example}");
        var plan = ValidationPlan.FromSection(section, agentless: true);
        var probes = plan.Checks.Select(ProbeOf).OfType<HealthProbe>().ToList();
        if (probes.Select(p => p.Problem()).FirstOrDefault(p => p is not null) is { } problem)
            throw new FormatException(problem);
        if (probes.Count == 0)
            throw new FormatException("list at least one tcp or http check: without our agent inside, they are how the image is known healthy, in validation and on every machine");
        return new ImportChecks(yaml, plan, probes);
    }

    /// <summary>The probes as an image version keeps them (<see cref="State.ImageVersion.HealthProbes"/>).</summary>
    public string ProbesJson() => JsonSerializer.Serialize(Probes, BootServiceJson.Default.IReadOnlyListHealthProbe);

    public static IReadOnlyList<HealthProbe>? ReadProbes(string? json) =>
        json is null ? null : JsonSerializer.Deserialize(json, BootServiceJson.Default.IReadOnlyListHealthProbe);

    private static HealthProbe? ProbeOf(ValidationCheck check) => check switch
    {
        TcpCheck tcp => new HealthProbe(HealthProbe.Tcp, tcp.Port),
        HttpCheck http => new HealthProbe(HealthProbe.Http, http.Port, http.Path, http.Status, http.Body?.ToString()),
        _ => null,
    };
}
