using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ImagePipeline.Validation.Networks;

/// <summary>
/// A UDP socket that lives in another network namespace. setns(2) changes only the calling
/// thread's namespace, and a socket stays in the namespace it was created in: so a short-lived
/// thread enters the namespace, creates the socket and ends.
/// </summary>
public static partial class NamespaceSockets
{
    private const int CloneNewNet = 0x40000000;

    public static Socket CreateUdp(string networkNamespace) => Create(networkNamespace, SocketType.Dgram, ProtocolType.Udp);

    public static Socket CreateTcp(string networkNamespace) => Create(networkNamespace, SocketType.Stream, ProtocolType.Tcp);

    public static Socket Create(string networkNamespace, SocketType type, ProtocolType protocol)
    {
        Socket? socket = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/run/netns/{networkNamespace}");
                if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new InvalidOperationException($"setns into {networkNamespace} failed: errno {Marshal.GetLastPInvokeError()}");
                socket = new Socket(AddressFamily.InterNetwork, type, protocol);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or SocketException or UnauthorizedAccessException)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new InvalidOperationException($"no socket in {networkNamespace}", failure);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);
}
