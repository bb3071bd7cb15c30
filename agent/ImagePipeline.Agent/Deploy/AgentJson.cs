using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImagePipeline.Agent.Deploy;

/// <summary>Source-generated JSON for the agent's own files (NativeAOT: no reflection).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(AgentConfig))]
public sealed partial class AgentJson : JsonSerializerContext;
