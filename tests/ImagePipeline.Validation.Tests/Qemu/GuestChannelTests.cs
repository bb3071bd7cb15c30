using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Validation.Tests.Qemu;

/// <summary>
/// The harness's end of the validation channel against a socket that plays QEMU's chardev with
/// the agent behind it: what a guest that answers, and one that goes away mid-command, look like.
/// </summary>
public sealed class GuestChannelTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string directory = Directory.CreateTempSubdirectory("imagepipe-channel-").FullName;

    [Fact]
    public async Task A_command_is_answered_with_the_key_of_this_boot()
    {
        using var listener = Listen(out var path);
        var key = GuestChannel.CreateKey(Path.Combine(directory, "key"));
        await using var channel = await GuestChannel.ConnectAsync(path, key, Ct);
        using var guest = await listener.AcceptAsync(Ct);
        await SendAsync(guest, """{"hello":"imagepipeline-guest-channel/1","hasKey":true}""");
        await WaitUntilAsync(() => channel.IsOpen);

        var running = channel.ExecuteAsync("uname -r", TimeSpan.FromSeconds(30), Ct);
        var request = JsonSerializer.Deserialize(await ReadLineAsync(guest), ProtocolJson.Default.GuestCommandRequest).ShouldNotBeNull();
        request.Key.ShouldBe(key);
        request.Command.ShouldBe("uname -r");
        await SendAsync(guest, JsonSerializer.Serialize(new GuestCommandReply(request.Id, 0, "6.1.0\n"), ProtocolJson.Default.GuestCommandReply));

        (await running).ShouldBe((0, "6.1.0\n"));
    }

    // A reboot stops the agent before it answers, and QEMU (-no-reboot) then exits and closes the
    // socket: the command fails at once, saying so, instead of waiting out its timeout.
    [Fact]
    public async Task A_command_the_guest_never_answers_fails_as_soon_as_the_channel_closes_and_later_ones_are_not_sent()
    {
        using var listener = Listen(out var path);
        await using var channel = await GuestChannel.ConnectAsync(path, GuestChannel.CreateKey(Path.Combine(directory, "key")), Ct);
        var guest = await listener.AcceptAsync(Ct);
        await SendAsync(guest, """{"hello":"imagepipeline-guest-channel/1","hasKey":true}""");
        await WaitUntilAsync(() => channel.IsOpen);

        var clock = Stopwatch.StartNew();
        var running = channel.ExecuteAsync("systemctl reboot", TimeSpan.FromSeconds(300), Ct);
        await ReadLineAsync(guest);
        guest.Dispose();

        var failed = await Should.ThrowAsync<CheckFailedException>(() => running);
        failed.Message.ShouldContain("closed before the guest answered");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60));
        channel.IsOpen.ShouldBeFalse();
        (await Should.ThrowAsync<CheckFailedException>(() => channel.ExecuteAsync("true", TimeSpan.FromSeconds(300), Ct))).Message.ShouldContain("was not sent");
    }

    private Socket Listen(out string path)
    {
        path = Path.Combine(directory, "channel.sock");
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        return listener;
    }

    private static async Task SendAsync(Socket guest, string line) =>
        await guest.SendAsync(Encoding.UTF8.GetBytes(line + "\n"), SocketFlags.None, Ct);

    private static async Task<string> ReadLineAsync(Socket guest)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (await guest.ReceiveAsync(one, SocketFlags.None, Ct) == 1 && one[0] != '\n')
            line.Add(one[0]);
        return Encoding.UTF8.GetString(line.ToArray());
    }

    private static Task WaitUntilAsync(Func<bool> condition) =>
        Retry.UntilAsync("the hello to arrive", _ => Task.FromResult(condition() ? null : "not yet"), TimeSpan.FromSeconds(10), cancellationToken: Ct);

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
