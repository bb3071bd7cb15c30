using System.Reflection;

namespace ImagePipeline.Builder.Tools;

/// <summary>Files the builder places into images, embedded from <c>Boot/Resources</c> and <c>Stages/Resources</c>.</summary>
internal static class EmbeddedFiles
{
    public static string Read(string logicalName)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(logicalName)
            ?? throw new InvalidOperationException($"embedded file '{logicalName}' is missing from the build of ImagePipeline.Builder");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
