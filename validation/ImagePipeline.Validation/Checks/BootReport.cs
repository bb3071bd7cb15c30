using System.Text.RegularExpressions;

namespace ImagePipeline.Validation.Checks;

/// <summary>
/// The line every ImagePipeline image prints on its console once up (usr/lib/imagepipeline/boot-report):
/// <c>imagepipeline-report: nics=eth0 addresses=eth0=10.0.2.15/24 failed-units=</c>.
/// </summary>
public sealed partial record BootReport(IReadOnlyList<string> Nics, IReadOnlyDictionary<string, string> Addresses, IReadOnlyList<string> FailedUnits)
{
    [GeneratedRegex(@"imagepipeline-report: nics=(?<nics>[^\r\n]*?) addresses=(?<addresses>[^\r\n]*?) failed-units=(?<failed>[^\r\n]*)")]
    public static partial Regex Pattern();

    public static BootReport Parse(Match match)
    {
        static string[] Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var addresses = Words(match.Groups["addresses"].Value)
            .Select(pair => pair.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0])
            .ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
        return new BootReport(Words(match.Groups["nics"].Value), addresses, Words(match.Groups["failed"].Value));
    }
}
