using System.Globalization;
using System.Net.NetworkInformation;

namespace ImagePipeline.BootService.Network;

/// <summary>The one spelling of a MAC in this service: lower-case hex, colon separated (<c>52:54:00:12:34:56</c>).</summary>
public static class MacAddress
{
    public static string Format(PhysicalAddress address) =>
        string.Join(':', address.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    public static string Format(ReadOnlySpan<byte> bytes) => Format(new PhysicalAddress(bytes.ToArray()));

    /// <summary>Accepts colons, dashes or no separators, any case; returns the canonical spelling.</summary>
    public static bool TryNormalize(string? text, out string mac)
    {
        mac = "";
        if (text is null)
            return false;
        var hex = text.Replace(":", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        if (hex.Length != 12 || !hex.All(char.IsAsciiHexDigit))
            return false;
        mac = string.Join(':', Enumerable.Range(0, 6).Select(i => hex.Substring(i * 2, 2))).ToLowerInvariant();
        return true;
    }
}
