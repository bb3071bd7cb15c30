namespace ImagePipeline.Builder.Agent;

/// <summary>
/// What it takes to run the NativeAOT agent outside a .NET installation: the binary, the dynamic
/// loader and glibc (it links libc and libm), and OpenSSL (.NET's SHA-256 and ECDSA on Linux,
/// needed by the deploy agent and by in-place updates, not by health reports). Taken from this Debian host, which is the
/// release the images are built from.
/// </summary>
public static class AgentFiles
{
    public const string LoaderPath = "/lib64/ld-linux-x86-64.so.2";
    public const string LibraryDirectory = "/lib/x86_64-linux-gnu";

    public static IReadOnlyList<string> Glibc { get; } = [LoaderPath, $"{LibraryDirectory}/libc.so.6", $"{LibraryDirectory}/libm.so.6"];

    public static IReadOnlyList<string> OpenSsl { get; } = [$"{LibraryDirectory}/libcrypto.so.3", $"{LibraryDirectory}/libssl.so.3"];

    /// <summary>Throws with the package to install when a library is missing on this host.</summary>
    public static void CheckPresent(IEnumerable<string> libraries)
    {
        foreach (var library in libraries)
        {
            if (!File.Exists(library))
                throw new Tools.BuildStepException("agent", "libraries", $"{library} is missing on this host; the agent needs glibc and OpenSSL 3 (apt-get install libc6 libssl3)", "");
        }
    }
}
