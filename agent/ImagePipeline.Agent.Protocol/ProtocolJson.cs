using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImagePipeline.Agent.Protocol;

/// <summary>
/// The one JSON shape of the agent API (camelCase, nulls omitted), source-generated so the
/// NativeAOT agent needs no reflection.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(HardwareFacts))]
[JsonSerializable(typeof(RegisterResponse))]
[JsonSerializable(typeof(ProgressReport))]
[JsonSerializable(typeof(DeployResult))]
[JsonSerializable(typeof(HealthReport))]
[JsonSerializable(typeof(HealthAcknowledgement))]
[JsonSerializable(typeof(GuestChannelHello))]
[JsonSerializable(typeof(GuestCommandRequest))]
[JsonSerializable(typeof(GuestCommandReply))]
[JsonSerializable(typeof(SlotBootSpec))]
public sealed partial class ProtocolJson : JsonSerializerContext;
