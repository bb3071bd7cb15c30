using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImagePipeline.BootService.Contract;

/// <summary>
/// The one JSON shape of the boot service's operator API (camelCase, states by name), source-generated:
/// the boot service writes with it and <see cref="BootServiceClient"/> reads with it.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(MachineRecord))]
[JsonSerializable(typeof(IReadOnlyList<MachineRecord>))]
[JsonSerializable(typeof(MachineDetail))]
[JsonSerializable(typeof(IReadOnlyList<MachineEvent>))]
[JsonSerializable(typeof(DesiredImageRequest))]
[JsonSerializable(typeof(DesiredImagesRequest))]
[JsonSerializable(typeof(EventFeedPage))]
[JsonSerializable(typeof(FleetSnapshot))]
[JsonSerializable(typeof(IReadOnlyList<HealthProbe>))]
public sealed partial class BootServiceJson : JsonSerializerContext;
