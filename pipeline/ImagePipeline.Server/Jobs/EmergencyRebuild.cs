using System.Text.RegularExpressions;

namespace ImagePipeline.Server.Jobs;

/// <summary>
/// An emergency rebuild of a recipe: why (required), and the packages that must come out newer
/// than in the recipe's latest image. It runs on the critical queue ahead of other builds, with a
/// fresh base (today's security updates), and validates on the recipe's smoke profiles only.
/// </summary>
public sealed partial record EmergencyRebuild(string Reason, IReadOnlyList<string> Packages)
{
    /// <summary>The rebuild as asked for, or the problem to fix.</summary>
    public static (EmergencyRebuild? Rebuild, string? Problem) Parse(string? reason, IEnumerable<string>? packages)
    {
        if (string.IsNullOrWhiteSpace(reason))
            return (null, "reason: an emergency rebuild needs a written reason (which vulnerability or outage it fixes)");
        var names = (packages ?? []).SelectMany(p => p.Split([' ', ',', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct(StringComparer.Ordinal).ToList();
        if (names.FirstOrDefault(n => !PackageName().IsMatch(n)) is { } bad)
            return (null, $"packages: '{bad}' is not a Debian package name (lower case letters, digits, + - .)");
        return (new EmergencyRebuild(reason.Trim(), names), null);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9+.-]+$")]
    private static partial Regex PackageName();
}
