using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImagePipeline.BootService.Contract;
using ImagePipeline.Redfish;

namespace ImagePipeline.Cli.Lab;

/// <summary>
/// What <c>imagepipe lab up</c> leaves in DATA/lab/lab.json for the other lab verbs: the
/// controller process, where its BMCs and boot service answer, their credentials (the file is
/// readable by root only) and the machines.
/// </summary>
public sealed record LabState
{
    public const string FileName = "lab.json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public required int ControllerPid { get; init; }
    public required string Namespace { get; init; }
    public required string HostDevice { get; init; }
    public required string RedfishUrl { get; init; }
    public required string RedfishUser { get; init; }
    public required string RedfishPassword { get; init; }
    public required string BootServiceUrl { get; init; }
    public required string AdminToken { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required IReadOnlyList<LabMachineState> Machines { get; init; }

    public static string PathIn(string labDirectory) => System.IO.Path.Combine(labDirectory, FileName);

    public static LabState? Load(string labDirectory)
    {
        var path = PathIn(labDirectory);
        return File.Exists(path) ? JsonSerializer.Deserialize<LabState>(File.ReadAllText(path), Json) : null;
    }

    /// <summary>Written to a private temporary file, then renamed: readers never see half a file.</summary>
    public void Save(string labDirectory)
    {
        var path = PathIn(labDirectory);
        var temporary = path + ".tmp";
        File.Delete(temporary);
        // It holds the BMC password and the boot service's admin token: private from its first byte.
        using (var file = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        using (var writer = new StreamWriter(file))
            writer.Write(JsonSerializer.Serialize(this, Json));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The lab's boot service, as its administrator.</summary>
    public BootServiceClient BootService(HttpClient http) => new(http, new Uri(BootServiceUrl), AdminToken);

    /// <summary>The lab's BMCs, as their administrator.</summary>
    public RedfishClient Redfish(HttpClient http) => new(http, new Uri(RedfishUrl), new NetworkCredential(RedfishUser, RedfishPassword));

    public bool ControllerAlive => Directory.Exists($"/proc/{ControllerPid}") && File.Exists($"/proc/{ControllerPid}/cmdline")
        && File.ReadAllText($"/proc/{ControllerPid}/cmdline").Contains("lab\0serve", StringComparison.Ordinal);
}
