using System.Text.RegularExpressions;

namespace ImagePipeline.Validation.Qemu;

/// <summary>
/// The kernel writes its log records (<c>[    6.357600] IPv6: ... link becomes ready</c>: seconds with six decimals) straight
/// to the serial console, so on a busy host one can land in the middle of a line a program is
/// printing. Taking every record out, up to and with its line end, gives back what the programs
/// printed, whole.
/// </summary>
public static partial class KernelLogRecords
{
    [GeneratedRegex(@"\[ *[0-9]+\.[0-9]{6}\] [^\n]*\n")]
    private static partial Regex Record();

    public static string Remove(string consoleText) => Record().Replace(consoleText, "");
}
