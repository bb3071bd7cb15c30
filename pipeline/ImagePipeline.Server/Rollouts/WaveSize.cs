using System.Globalization;

namespace ImagePipeline.Server.Rollouts;

/// <summary>How big a wave is: a number of machines, or a percentage of the whole selection (rounded up, at least one).</summary>
public readonly record struct WaveSize(int Value, bool IsPercent)
{
    public static WaveSize Count(int machines) => new(machines, false);

    public static WaveSize Percent(int percent) => new(percent, true);

    public int Resolve(int selection) => IsPercent ? Math.Max(1, (int)Math.Ceiling(selection * (Value / 100.0))) : Value;

    public override string ToString() => IsPercent ? $"{Value.ToString(CultureInfo.InvariantCulture)}%" : Value.ToString(CultureInfo.InvariantCulture);

    /// <summary>"3" or "25%".</summary>
    public static WaveSize Parse(string text)
    {
        var trimmed = text.Trim();
        var percent = trimmed.EndsWith('%');
        var number = percent ? trimmed[..^1] : trimmed;
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1 || (percent && value > 100))
            throw new FormatException($"'{text}' is not a wave size: give a number of machines (3) or a percentage of the selection from 1% to 100% (25%)");
        return new WaveSize(value, percent);
    }
}
