using System.Globalization;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// Another process's CPU time and peak memory, read from Linux's /proc: user + system time in
/// seconds (<c>/proc/PID/stat</c>, in clock ticks of 1/100 s) and the peak resident set
/// (<c>VmHWM</c> in <c>/proc/PID/status</c>).
/// </summary>
internal static class ProcessGauge
{
    private const double TicksPerSecond = 100;

    /// <summary>CPU seconds the process used so far, user and system.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 of the line (utime, stime) are the 12th and 13th after the name.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>The process's peak resident set so far, in bytes.</summary>
    public static long PeakResidentBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no VmHWM line");
    }
}
