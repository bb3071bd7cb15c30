using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImagePipeline.BootService.Http;

/// <summary>Addresses in the API as their usual text ("10.0.0.5"), not as IPAddress's object shape.</summary>
public sealed class IPAddressJsonConverter : JsonConverter<IPAddress>
{
    public override IPAddress? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetString() is { } text ? IPAddress.Parse(text) : null;

    public override void Write(Utf8JsonWriter writer, IPAddress value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
