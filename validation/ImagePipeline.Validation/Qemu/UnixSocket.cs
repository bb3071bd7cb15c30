using System.Net.Sockets;
using ImagePipeline.Validation.Harness;

namespace ImagePipeline.Validation.Qemu;

/// <summary>Connects to one of QEMU's unix sockets; failing to is the harness breaking, named by what the socket is for.</summary>
internal static class UnixSocket
{
    public static async Task<Socket> ConnectAsync(string path, string what, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new HarnessException($"could not connect to {what} at {path}: {e.Message}", e);
        }
    }
}
