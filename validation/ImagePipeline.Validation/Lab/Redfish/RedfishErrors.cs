using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace ImagePipeline.Validation.Lab.Redfish;

/// <summary>Error responses in Redfish's form (DSP0266 §9.6: an "error" object with a code, a message and extended info), with the Base registry's message ids.</summary>
internal static class RedfishErrors
{
    private const string Registry = "Base.1.8";

    public static IResult Respond(int status, string messageId, string message) =>
        Results.Json(new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = $"{Registry}.GeneralError",
                ["message"] = message,
                ["@Message.ExtendedInfo"] = new JsonArray(new JsonObject
                {
                    ["@odata.type"] = "#Message.v1_1_1.Message",
                    ["MessageId"] = $"{Registry}.{messageId}",
                    ["Message"] = message,
                    ["Severity"] = "Warning",
                }),
            },
        }, statusCode: status, contentType: "application/json");

    public static IResult NotFound(string path) => Respond(404, "ResourceMissingAtURI", $"The resource at the URI {path} was not found.");

    public static IResult BadValue(string property, string value, IEnumerable<string> allowed) =>
        Respond(400, "PropertyValueNotInList", $"The value '{value}' for the property {property} is not in the list of acceptable values: {string.Join(", ", allowed)}.");

    public static IResult Malformed(string detail) => Respond(400, "MalformedJSON", $"The request body submitted was malformed JSON and could not be parsed by the receiving service: {detail}");
}
