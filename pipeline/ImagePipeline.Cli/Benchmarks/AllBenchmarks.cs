using System.Diagnostics;
using CliWrap;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// <c>imagepipe bench all</c>: every benchmark, one after the other, each in a process of its own
/// (a fresh runtime and nothing left over from the one before), its output passed through; then
/// one table of every result row (metric, ours, peer or limit, ratio, goal) with each benchmark's
/// wall time. A benchmark that fails is listed as failed, and the others still run.
/// </summary>
public static class AllBenchmarks
{
    public static readonly string[] Names = ["build", "validate", "tftp", "http", "bootstorm", "write", "delta", "jobs", "fleet", "rollout", "scale", "emergency", "seed"];

    public static async Task<int> RunAsync(string? dataDirectory, CancellationToken cancellationToken)
    {
        var launcher = ImagePipeline.Validation.Lab.CliLauncher.ForAssembly(typeof(AllBenchmarks).Assembly.Location);
        var results = new List<(string Name, TimeSpan Took, int Exit, List<string> Rows)>();
        foreach (var name in Names)
        {
            Console.WriteLine($"=== bench {name} ===");
            var rows = new List<string>();
            var inTable = false;
            var watch = Stopwatch.StartNew();
            string[] extra = name is "validate" or "delta" or "fleet" or "emergency" or "seed" && dataDirectory is not null ? ["--data", dataDirectory] : [];
            var result = await CliWrap.Cli.Wrap(launcher.Program).WithArguments([.. launcher.Arguments, "bench", name, .. extra])
                .WithStandardOutputPipe(PipeTarget.ToDelegate(line =>
                {
                    Console.WriteLine(line);
                    if (line.StartsWith("metric ", StringComparison.Ordinal))
                        inTable = true;
                    else if (inTable && line.Trim().Length > 0)
                        rows.Add(line);
                }))
                .WithStandardErrorPipe(PipeTarget.ToDelegate(line => Console.Error.WriteLine(line)))
                .WithValidation(CommandResultValidation.None)
                .ExecuteAsync(cancellationToken);
            results.Add((name, watch.Elapsed, result.ExitCode, rows));
            Console.WriteLine();
        }

        Console.WriteLine("=== all benchmarks ===");
        Console.WriteLine($"{"bench",-10} {"took",7}  {"metric",-44} {"ours",12} {"peer/limit",12} {"ratio",8}  goal");
        foreach (var (name, took, exit, rows) in results)
        {
            var time = $"{took.TotalSeconds,6:0}s";
            if (exit != 0 || rows.Count == 0)
                Console.WriteLine($"{name,-10} {time}  FAILED (exit {exit}): see its output above");
            foreach (var row in rows)
                Console.WriteLine($"{name,-10} {time}  {row}");
        }

        return results.All(r => r.Exit == 0) ? ExitCodes.Success : ExitCodes.Failed;
    }
}
