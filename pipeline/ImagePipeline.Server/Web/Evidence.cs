using ImagePipeline.Builder;
using ImagePipeline.Builder.Artifacts;
using ImagePipeline.Validation.Running;
using Microsoft.AspNetCore.Http;

namespace ImagePipeline.Server.Web;

/// <summary>What the artifact store holds about an image for people to read: its manifest, its validation report, and the report's evidence files (serial logs, screenshots).</summary>
public static class Evidence
{
    public static string? DirectoryOf(ServerOptions options, string imageId) => new ArtifactPublisher(options.DataDirectory, null).Find(imageId);

    public static ImageManifest? Manifest(string? directory)
    {
        try
        {
            return ManifestJson.Read(directory);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    public static ValidationReport? Report(string? directory)
    {
        var path = directory is null ? null : Path.Combine(directory, ValidationRunner.ReportDirectory, ValidationRunner.ReportFile);
        if (path is null || !File.Exists(path))
            return null;
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<ValidationReport>(File.ReadAllText(path), ReportJson);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions ReportJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>GET /ui/images/ID/evidence/FILE: one file of the validation directory, by its bare name only.</summary>
    public static IResult Serve(string id, string file, ServerOptions options)
    {
        if (file != Path.GetFileName(file) || file.StartsWith('.'))
            return Results.BadRequest("a file name of the image's validation evidence, without a path");
        var directory = DirectoryOf(options, id);
        var path = directory is null ? null : Path.Combine(directory, ValidationRunner.ReportDirectory, file);
        if (path is null || !File.Exists(path))
            return Results.NotFound($"image {id} has no evidence file {file}");
        return Results.File(path, WebUi.ContentTypeOf(file));
    }
}
