using System.Net.Sockets;
using System.Text;

namespace ImagePipeline.BootService.Network;

/// <summary>Socket options .NET has no names for.</summary>
public static class LinuxSockets
{
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;

    /// <summary>
    /// SO_BINDTODEVICE: the socket sees only datagrams that arrived on <paramref name="interfaceName"/>,
    /// and its broadcasts leave through it. This is how a DHCP server on 0.0.0.0:67 serves one
    /// network and nothing else; two servers on different interfaces can then share the port.
    /// Set before Bind.
    /// </summary>
    public static void BindToDevice(Socket socket, string interfaceName)
    {
        var name = Encoding.ASCII.GetBytes(interfaceName + "\0");
        try
        {
            socket.SetRawSocketOption(SolSocket, SoBindToDevice, name);
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException($"cannot bind a socket to interface '{interfaceName}' ({e.Message}); does it exist (ip link show), and is the service running as root?", e);
        }
    }
}
