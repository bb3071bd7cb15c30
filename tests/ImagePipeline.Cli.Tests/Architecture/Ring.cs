namespace ImagePipeline.Cli.Tests.Architecture.Ring
{
    /// <summary>Two namespaces that use each other on purpose: the cycle check's own test sees it (one way in a signature, the other only inside a method body).</summary>
    public static class First
    {
        public static int Count() => Back.Second.Twice(1);
    }
}

namespace ImagePipeline.Cli.Tests.Architecture.Ring.Back
{
    public static class Second
    {
        public static int Twice(int value) => value * 2 + (value > 1 ? First.Count() : 0);
    }
}
