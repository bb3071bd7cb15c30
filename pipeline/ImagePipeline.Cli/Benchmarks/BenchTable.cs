namespace ImagePipeline.Cli.Benchmarks;

/// <summary>The one result-table format every benchmark prints.</summary>
public static class BenchTable
{
    public static void Header()
    {
        Console.WriteLine();
        Console.WriteLine($"{"metric",-44} {"ours",12} {"peer/limit",12} {"ratio",8}  goal");
    }

    public static void Row(string metric, string ours, string peer, double ratio, string goal) =>
        Console.WriteLine($"{metric,-44} {ours,12} {peer,12} {ratio,7:0.00}x  {goal}");

    /// <summary>A scratch file of <paramref name="bytes"/> with incompressible content (a random MiB repeated).</summary>
    public static async Task WriteTestFileAsync(string path, long bytes, CancellationToken cancellationToken)
    {
        var block = System.Security.Cryptography.RandomNumberGenerator.GetBytes(1 << 20);
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        for (long written = 0; written < bytes; written += block.Length)
            await file.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, bytes - written)), cancellationToken);
    }
}
