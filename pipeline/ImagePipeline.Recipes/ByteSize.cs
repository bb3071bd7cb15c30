using System.Globalization;
using System.Text.RegularExpressions;

namespace ImagePipeline.Recipes;

/// <summary>Sizes as operators write them: <c>2GiB</c>, <c>512MiB</c>, <c>1G</c> (binary), <c>1GB</c> (decimal), or plain bytes.</summary>
public static partial class ByteSize
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var match = SizePattern().Match(text.Trim());
        if (!match.Success)
            return false;
        var multiplier = match.Groups["unit"].Value.ToUpperInvariant() switch
        {
            "" or "B" => 1L,
            "K" or "KIB" => 1L << 10,
            "M" or "MIB" => 1L << 20,
            "G" or "GIB" => 1L << 30,
            "T" or "TIB" => 1L << 40,
            "KB" => 1_000L,
            "MB" => 1_000_000L,
            "GB" => 1_000_000_000L,
            "TB" => 1_000_000_000_000L,
            _ => 0L,
        };
        if (multiplier == 0 || !decimal.TryParse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            return false;
        var value = number * multiplier;
        if (value > long.MaxValue / 2)
            return false;
        bytes = (long)value;
        return true;
    }

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 when bytes % (1L << 30) == 0 => $"{bytes >> 30}GiB",
        >= 1L << 20 when bytes % (1L << 20) == 0 => $"{bytes >> 20}MiB",
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0}MiB"),
        _ => $"{bytes}B",
    };

    [GeneratedRegex(@"^(?<number>[0-9]+(\.[0-9]+)?)\s*(?<unit>[A-Za-z]*)$")]
    private static partial Regex SizePattern();
}
