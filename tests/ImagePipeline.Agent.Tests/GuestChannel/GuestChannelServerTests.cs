using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ImagePipeline.Agent.GuestChannel;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Agent.Tests.GuestChannel;

/// <summary>
/// The agent's end of the validation channel over a real socket pair and a real shell: it says
/// hello, runs what carries this boot's key, and refuses everything else without running it.
/// </summary>
public sealed class GuestChannelServerTests : IAsyncDisposable
{
    private const string Key = "6f1c0e2b9a8d47f3b5e4c2a1d0f9e8b76f1c0e2b9a8d47f3b5e4c2a1d0f9e8b7";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly DirectoryInfo scratch = Directory.CreateTempSubdirectory("imagepipe-guest-channel-");
    private readonly List<string> said = [];
    private Socket? host;
    private Task? serving;
    private readonly CancellationTokenSource stop = new();
    private StreamReader? replies;

    /// <summary>Starts a server on one end of a unix socket pair; the test is the harness on the other.</summary>
    private async Task<GuestChannelHello> StartAsync(string? key)
    {
        var path = Path.Combine(scratch.FullName, "port.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        host = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await host.ConnectAsync(new UnixDomainSocketEndPoint(path), Ct);
        var guest = await listener.AcceptAsync(Ct);
        var port = new NetworkStream(guest, ownsSocket: true);
        serving = new GuestChannelServer(port, key, m => { lock (said) said.Add(m); }).ServeAsync(stop.Token);
        replies = new StreamReader(new NetworkStream(host, ownsSocket: false), Encoding.UTF8);
        return JsonSerializer.Deserialize(await ReadLineAsync(), ProtocolJson.Default.GuestChannelHello)!;
    }

    private async Task<string> ReadLineAsync() =>
        await replies!.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct) ?? throw new EndOfStreamException("the channel closed");

    private async Task<GuestCommandReply> SendAsync(long id, string key, string command, int timeoutSeconds = 30)
    {
        var line = JsonSerializer.Serialize(new GuestCommandRequest(id, key, command, timeoutSeconds), ProtocolJson.Default.GuestCommandRequest) + "\n";
        await host!.SendAsync(Encoding.UTF8.GetBytes(line), SocketFlags.None, Ct);
        return JsonSerializer.Deserialize(await ReadLineAsync(), ProtocolJson.Default.GuestCommandReply)!;
    }

    [Fact]
    public async Task A_request_with_the_boots_key_runs_as_a_shell_command_with_its_output_and_exit_code()
    {
        var hello = await StartAsync(Key);
        (hello.Hello, hello.HasKey).ShouldBe((GuestChannelProtocol.Version, true));

        var reply = await SendAsync(7, Key, "echo out; echo err >&2; echo more\nexit 3");

        (reply.Id, reply.ExitCode, reply.Refused, reply.TimedOut).ShouldBe((7L, 3, (string?)null, false));
        reply.Output.ShouldBe("out\nerr\nmore\n");
        (await SendAsync(8, Key, "cat; echo stdin closed")).Output.ShouldBe("stdin closed\n");
    }

    [Fact]
    public async Task A_request_with_another_key_or_to_a_boot_without_one_is_refused_and_not_run()
    {
        var marker = Path.Combine(scratch.FullName, "ran");
        await StartAsync(Key);

        var wrong = await SendAsync(1, Key.Replace('6', '7'), $"touch {marker}");
        var empty = await SendAsync(2, "", $"touch {marker}");
        var garbage = JsonSerializer.Deserialize((await SendRawAsync("{not json")), ProtocolJson.Default.GuestCommandReply)!;

        wrong.Refused.ShouldBe("the request does not carry this boot's validation key");
        empty.Refused.ShouldNotBeNull();
        garbage.Refused.ShouldNotBeNull().ShouldStartWith("not a request");
        File.Exists(marker).ShouldBeFalse();
        lock (said)
            said.Count(m => m.Contains("refused request", StringComparison.Ordinal)).ShouldBe(2);
        (await SendAsync(3, Key, "echo still serving")).Output.ShouldBe("still serving\n");
    }

    [Fact]
    public async Task Without_a_key_from_the_firmware_every_request_is_refused()
    {
        var marker = Path.Combine(scratch.FullName, "ran");
        var hello = await StartAsync(key: null);

        var reply = await SendAsync(1, Key, $"touch {marker}");

        hello.HasKey.ShouldBeFalse();
        reply.Refused.ShouldNotBeNull().ShouldContain("no validation key");
        File.Exists(marker).ShouldBeFalse();
    }

    [Fact]
    public async Task A_command_past_its_timeout_is_killed_with_its_children_and_huge_output_is_cut()
    {
        await StartAsync(Key);
        var watch = Stopwatch.StartNew();

        var slow = await SendAsync(1, Key, "echo started; sleep 600 & sleep 600", timeoutSeconds: 1);
        var huge = await SendAsync(2, Key, "head -c 3000000 /dev/zero | tr '\\0' x");

        (slow.TimedOut, slow.ExitCode).ShouldBe((true, 124));
        slow.Output.ShouldStartWith("started\n");
        slow.Output.ShouldContain("killed after 1 s");
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60));
        huge.ExitCode.ShouldBe(0);
        huge.Output.ShouldStartWith(new string('x', 1000));
        huge.Output.ShouldContain($"{3000000 - GuestChannelProtocol.MaxOutputBytes} more bytes of output were dropped");
    }

    [Fact]
    public void The_port_is_found_by_its_name_among_the_machines_virtio_ports()
    {
        var sys = Path.Combine(scratch.FullName, "sys");
        ValidationPort.Find(sys, "/dev").ShouldBeNull();
        foreach (var (port, name) in new[] { ("vport0p1", "org.qemu.guest_agent.0"), ("vport1p1", GuestChannelProtocol.PortName) })
        {
            Directory.CreateDirectory(Path.Combine(sys, "class", "virtio-ports", port));
            File.WriteAllText(Path.Combine(sys, "class", "virtio-ports", port, "name"), name + "\n");
        }

        ValidationPort.Find(sys, "/dev").ShouldBe("/dev/vport1p1");
    }

    private async Task<string> SendRawAsync(string line)
    {
        await host!.SendAsync(Encoding.UTF8.GetBytes(line + "\n"), SocketFlags.None, Ct);
        return await ReadLineAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        host?.Dispose();
        if (serving is not null)
        {
            try
            {
                await serving;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
        }

        replies?.Dispose();
        stop.Dispose();
        scratch.Delete(recursive: true);
    }
}
