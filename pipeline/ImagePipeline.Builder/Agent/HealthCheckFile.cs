using System.Text;
using System.Text.Json;
using ImagePipeline.Recipes;
using YamlDotNet.RepresentationModel;

namespace ImagePipeline.Builder.Agent;

/// <summary>
/// The recipe's <c>validate.checks</c>, as JSON in the image (<c>/etc/imagepipeline/health-checks.json</c>),
/// for the report agent to run from inside the booted system: the same checks that gate
/// validation then gate each machine's health. Scalars stay strings; the agent reads the kinds it
/// can run inside (tcp, http, command) and skips the rest (console, screenshot).
/// </summary>
public static class HealthCheckFile
{
    public const string PathInImage = "etc/imagepipeline/health-checks.json";

    public static string? ToJson(RecipeSection? validate)
    {
        if (validate?.Node.Children.TryGetValue(new YamlScalarNode("checks"), out var checks) != true || checks is not YamlSequenceNode)
            return null;
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            Write(writer, checks);
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void Write(Utf8JsonWriter writer, YamlNode node)
    {
        switch (node)
        {
            case YamlScalarNode scalar:
                writer.WriteStringValue(scalar.Value);
                break;
            case YamlSequenceNode sequence:
                writer.WriteStartArray();
                foreach (var item in sequence)
                    Write(writer, item);
                writer.WriteEndArray();
                break;
            case YamlMappingNode mapping:
                writer.WriteStartObject();
                foreach (var (key, value) in mapping.Children)
                {
                    writer.WritePropertyName(((YamlScalarNode)key).Value ?? "");
                    Write(writer, value);
                }

                writer.WriteEndObject();
                break;
        }
    }
}
