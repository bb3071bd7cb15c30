using System.Globalization;

namespace ImagePipeline.Server.Promotion;

/// <summary>
/// The promotion ladder: <c>candidate</c> (where validated images start), then the configured
/// channels in order, each with the approvals it needs (<c>--channels staging:1,production:2</c>;
/// default staging:1,production:1). An image climbs one rung at a time.
/// </summary>
public sealed class Channels
{
    public const string Candidate = "candidate";
    public const string Default = "staging:1,production:1";

    private readonly List<(string Name, int Approvals)> ladder;

    private Channels(List<(string Name, int Approvals)> ladder) => this.ladder = ladder;

    public IReadOnlyList<string> Names => [Candidate, .. ladder.Select(c => c.Name)];

    public static Channels Parse(string? text)
    {
        var ladder = new List<(string, int)>();
        foreach (var part in (string.IsNullOrWhiteSpace(text) ? Default : text).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var pieces = part.Split(':', 2);
            var name = pieces[0];
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') || name == Candidate || ladder.Any(c => c.Item1 == name))
                throw new ArgumentException($"--channels: '{part}': channel names are a-z, 0-9 and '-', each once, and not '{Candidate}' (where every image starts); e.g. {Default}");
            var approvals = 1;
            if (pieces.Length == 2 && (!int.TryParse(pieces[1], NumberStyles.None, CultureInfo.InvariantCulture, out approvals) || approvals < 1 || approvals > 9))
                throw new ArgumentException($"--channels: '{part}': the approvals a channel needs are 1 to 9 (four eyes: never the requester's own); e.g. {Default}");
            ladder.Add((name, approvals));
        }

        return new Channels(ladder);
    }

    public bool Exists(string channel) => Names.Contains(channel);

    /// <summary>The channel after <paramref name="channel"/>, or null at the top.</summary>
    public string? Next(string channel)
    {
        var names = Names;
        var index = names.ToList().IndexOf(channel);
        return index < 0 || index + 1 >= names.Count ? null : names[index + 1];
    }

    public int ApprovalsFor(string channel) => ladder.FirstOrDefault(c => c.Name == channel).Approvals is var n and > 0 ? n : 1;

    /// <summary>The top of the ladder: where rollouts to the fleet come from (and rollbacks go back to).</summary>
    public string Production => Names[^1];
}
