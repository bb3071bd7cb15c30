namespace ImagePipeline.Builder.Import;

/// <summary>A file <see cref="ImageImporter"/> will not make an image of, and why (what to fix); nothing was stored.</summary>
public sealed class ImportRefusedException(string message) : Exception(message);
