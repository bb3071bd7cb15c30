using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImagePipeline.Builder;

/// <summary>JSON settings shared by the manifest and the files the builder writes: camelCase, indented, enums as text.</summary>
public static class ManifestJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}
