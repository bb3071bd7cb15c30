namespace ImagePipeline.BootService.Tftp;

/// <summary>RFC 1350 netascii (RFC 764): LF becomes CR LF and a bare CR becomes CR NUL.</summary>
public static class Netascii
{
    public static byte[] Encode(ReadOnlySpan<byte> data)
    {
        var output = new List<byte>(data.Length + data.Length / 16);
        foreach (var b in data)
        {
            switch (b)
            {
                case (byte)'\n':
                    output.Add((byte)'\r');
                    output.Add((byte)'\n');
                    break;
                case (byte)'\r':
                    output.Add((byte)'\r');
                    output.Add(0);
                    break;
                default:
                    output.Add(b);
                    break;
            }
        }

        return [.. output];
    }
}
