using System.Globalization;
using System.Net;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Html;

namespace ImagePipeline.Server.Web;

/// <summary>Small pieces the pages share: a state badge, short ids, times.</summary>
public static class Ui
{
    public static IHtmlContent State(string state) =>
        new HtmlString($"<span class=\"state {WebUtility.HtmlEncode(state)}\" data-state=\"{WebUtility.HtmlEncode(state)}\">{WebUtility.HtmlEncode(state)}</span>");

    public static IHtmlContent State<T>(T state) where T : struct, Enum => State(Lower(state));

    public static string Lower<T>(T value) where T : struct, Enum => Api.RolloutView.Lower(value);

    public static IHtmlContent Emergency(bool emergency) => emergency ? new HtmlString("<span class=\"emergency\">EMERGENCY</span>") : HtmlString.Empty;

    public static string ShortId(string? id) => id is null ? "—" : AuditEntries.ShortId(id);

    /// <summary>How an image version's machines are known healthy: its agent's report from inside, or (imported, no agent) its boot service's probes from outside.</summary>
    public static string Health(string? healthProbes) => ImportedImages.ImportChecks.ReadProbes(healthProbes) is { } probes
        ? $"probes from outside: {string.Join(", ", probes)}"
        : "agent: reports from inside the image";

    /// <summary>How the agent last wrote the machine's image and the bytes that crossed the network: "delta, 21.9 MiB".</summary>
    public static string LastWrite(BootService.Contract.LastDeploy? last) =>
        last is null ? "—" : string.Create(CultureInfo.InvariantCulture, $"{last.Method}, {last.BytesFetched / 1048576.0:0.0} MiB");

    public static string Time(DateTime? at) => at is { } t ? t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC" : "—";

    public static string Time(DateTimeOffset? at) => Time(at?.UtcDateTime);

    public static string Duration(DateTime? from, DateTime? to)
    {
        if (from is null || to is null)
            return "—";
        var span = to.Value - from.Value;
        return span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes} min {span.Seconds} s" : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.0} s");
    }

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0} KiB"),
    };
}
