using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.BootService.Files;
using ImagePipeline.BootService.Tftp;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImagePipeline.BootService.Tests.Tftp;

/// <summary>The TFTP server on loopback against Debian's clients (curl, tftp-hpa) and our windowed client.</summary>
public sealed class TftpServerTests : IAsyncLifetime
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("imagepipe-tftp-");
    private readonly byte[] payload = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 123);
    private TftpServer server = null!;

    private IPEndPoint EndPoint => server.LocalEndPoint;

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(root.FullName, "files", "deploy"));
        File.WriteAllBytes(Path.Combine(root.FullName, "files", "deploy", "initrd.img"), payload);
        File.WriteAllBytes(Path.Combine(root.FullName, "files", "exact"), new byte[1024]);
        File.WriteAllText(Path.Combine(root.FullName, "files", "boot.ipxe"), "#!ipxe\nchain http://10.0.0.1/x\r\n");
        File.WriteAllText(Path.Combine(root.FullName, "outside"), "secret");
        File.CreateSymbolicLink(Path.Combine(root.FullName, "files", "escape"), Path.Combine(root.FullName, "outside"));
        server = new TftpServer(new BootFiles([Path.Combine(root.FullName, "files")]), new TftpServerLimits(), NullLogger.Instance);
        server.Start(IPAddress.Loopback, 0);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Curl_fetches_a_file_with_a_negotiated_block_size()
    {
        var target = Path.Combine(root.FullName, "curl.out");

        var result = await CliWrap.Cli.Wrap("curl").WithArguments(["-sS", "--tftp-blksize", "1468", "-o", target, $"tftp://127.0.0.1:{EndPoint.Port}/deploy/initrd.img"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.StandardError);
        File.ReadAllBytes(target).ShouldBe(payload);
    }

    [Fact]
    public async Task Tftp_hpa_fetches_a_file_without_options()
    {
        var target = Path.Combine(root.FullName, "hpa.out");

        var result = await CliWrap.Cli.Wrap("tftp").WithArguments(["-m", "binary", "127.0.0.1", EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", "get", "deploy/initrd.img", target])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.StandardError + result.StandardOutput);
        File.ReadAllBytes(target).ShouldBe(payload);
    }

    [Fact]
    public async Task Tftp_hpa_in_netascii_mode_gets_the_text_with_its_line_ends_intact()
    {
        var target = Path.Combine(root.FullName, "ascii.out");

        var result = await CliWrap.Cli.Wrap("tftp").WithArguments(["-m", "netascii", "127.0.0.1", EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", "get", "boot.ipxe", target])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.StandardError + result.StandardOutput);
        File.ReadAllText(target).ShouldBe("#!ipxe\nchain http://10.0.0.1/x\r\n");
    }

    [Theory]
    [InlineData(1468, 16)]
    [InlineData(65464, 4)]
    [InlineData(512, 64)]
    public async Task A_windowed_client_gets_the_whole_file_and_the_options_it_asked_for(int blockSize, int windowSize)
    {
        using var output = new MemoryStream();

        var download = await TftpClient.DownloadAsync(EndPoint, "deploy/initrd.img", output, blockSize, windowSize, cancellationToken: TestContext.Current.CancellationToken);

        output.ToArray().ShouldBe(payload);
        download.AcknowledgedOptions["blksize"].ShouldBe(blockSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        download.AcknowledgedOptions["windowsize"].ShouldBe(windowSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        download.AcknowledgedOptions["tsize"].ShouldBe(payload.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Block_numbers_roll_over_past_65535()
    {
        using var output = new MemoryStream();

        // 3 MiB in 16-byte blocks is ~197,000 blocks: the counter wraps three times.
        await TftpClient.DownloadAsync(EndPoint, "deploy/initrd.img", output, blockSize: 16, windowSize: 64, cancellationToken: TestContext.Current.CancellationToken);

        output.ToArray().ShouldBe(payload);
    }

    [Fact]
    public async Task A_file_of_whole_blocks_ends_with_an_empty_block()
    {
        using var output = new MemoryStream();

        await TftpClient.DownloadAsync(EndPoint, "exact", output, blockSize: 512, cancellationToken: TestContext.Current.CancellationToken);

        output.Length.ShouldBe(1024);
    }

    [Fact]
    public async Task Many_transfers_run_at_once()
    {
        var downloads = Enumerable.Range(0, 24).Select(async i =>
        {
            using var output = new MemoryStream();
            await TftpClient.DownloadAsync(EndPoint, "deploy/initrd.img", output, 1468, i % 2 == 0 ? 8 : null, cancellationToken: TestContext.Current.CancellationToken);
            return output.ToArray();
        });

        var results = await Task.WhenAll(downloads);

        results.ShouldAllBe(r => r.SequenceEqual(payload));
    }

    [Theory]
    [InlineData("../outside", TftpErrorCode.AccessViolation)]
    [InlineData("/etc/passwd", TftpErrorCode.AccessViolation)]
    [InlineData("escape", TftpErrorCode.AccessViolation)]
    [InlineData("deploy/missing", TftpErrorCode.FileNotFound)]
    public async Task Requests_outside_the_root_or_for_missing_files_get_a_TFTP_error(string file, TftpErrorCode expected)
    {
        using var output = new MemoryStream();

        var error = await Should.ThrowAsync<TftpClientException>(() => TftpClient.DownloadAsync(EndPoint, file, output, cancellationToken: TestContext.Current.CancellationToken));

        error.Code.ShouldBe(expected);
        output.Length.ShouldBe(0);
    }

    [Fact]
    public async Task Curl_is_refused_a_path_traversal()
    {
        var target = Path.Combine(root.FullName, "traversal.out");
        var refusedBefore = server.Statistics.Refused;

        // (curl 7.88 then reports "getpeername() failed" rather than the TFTP error text.)
        var result = await CliWrap.Cli.Wrap("curl").WithArguments(["-sS", "-o", target, $"tftp://127.0.0.1:{EndPoint.Port}/..%2Foutside"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        result.ExitCode.ShouldNotBe(0);
        server.Statistics.Refused.ShouldBe(refusedBefore + 1);
        (File.Exists(target) ? File.ReadAllText(target) : "").ShouldNotContain("secret");
    }

    [Fact]
    public async Task Write_requests_are_refused()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var request = new TftpRequest(TftpOpcode.WriteRequest, "deploy/initrd.img", "octet", new Dictionary<string, string>()).ToBytes();

        await socket.SendToAsync(request, EndPoint, TestContext.Current.CancellationToken);
        var buffer = new byte[600];
        var received = await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);

        TftpPackets.ReadError(buffer.AsSpan(0, received)).ShouldBe((TftpErrorCode.AccessViolation, "this server is read-only"));
        File.ReadAllBytes(Path.Combine(root.FullName, "files", "deploy", "initrd.img")).ShouldBe(payload);
    }

    [Fact]
    public async Task A_lost_data_packet_is_sent_again_after_the_timeout()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var request = new TftpRequest(TftpOpcode.ReadRequest, "exact", "octet", new Dictionary<string, string>()).ToBytes();
        var buffer = new byte[600];

        await socket.SendToAsync(request, EndPoint, TestContext.Current.CancellationToken);
        var first = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), TestContext.Current.CancellationToken);
        var firstBlock = TftpPackets.BlockOf(buffer);
        // No ACK: the server must resend block 1 on its own.
        var again = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), TestContext.Current.CancellationToken);

        firstBlock.ShouldBe((ushort)1);
        TftpPackets.BlockOf(buffer).ShouldBe((ushort)1);
        again.RemoteEndPoint.ShouldBe(first.RemoteEndPoint);
        server.Statistics.Retransmissions.ShouldBeGreaterThanOrEqualTo(1);
    }

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        root.Delete(recursive: true);
    }
}
