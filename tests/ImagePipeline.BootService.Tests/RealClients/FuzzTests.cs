using ImagePipeline.Tests.Deploy;
using System.Net;
using System.Net.Sockets;
using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Tests.Support;
using ImagePipeline.BootService.Tftp;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Networks;

namespace ImagePipeline.BootService.Tests.RealClients;

/// <summary>
/// 100,000 random and mutated DHCP and TFTP datagrams from another host on the bridge; then a
/// real machine still netboots. The service drops and counts what does not parse.
/// </summary>
public sealed class FuzzTests(DeployEnvironmentFixture deploy)
{
    private const int Datagrams = 100_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_hundred_thousand_random_and_mutated_packets_do_not_stop_a_real_client_from_booting()
    {
        await using var network = await VirtualNetwork.CreateAsync("fuzz", Ct);
        var attacker = await network.AddClientNamespaceAsync("02:00:00:00:66:66", Ct);
        await CliWrap.Cli.Wrap("ip").WithArguments(["-n", attacker, "addr", "add", "10.213.0.9/24", "dev", "eth0"]).ExecuteAsync(Ct);
        await using var service = await BootServiceProcess.StartAsync(network, deploy, null, "--discovery");
        using var socket = NamespaceSockets.CreateUdp(attacker);
        socket.EnableBroadcast = true;
        var random = new Random(20261125);
        var dhcp = new IPEndPoint(IPAddress.Parse("10.213.0.255"), DhcpServer.ServerPort);
        var tftp = new IPEndPoint(IPAddress.Parse("10.213.0.1"), 69);
        var seeds = DhcpSeeds();
        var tftpSeeds = TftpSeeds();

        for (var i = 0; i < Datagrams; i++)
        {
            var toDhcp = i % 2 == 0;
            var packet = (i / 2 % 4) switch
            {
                0 => RandomBytes(random, random.Next(0, 700)),
                _ => Mutate(random, toDhcp ? seeds[random.Next(seeds.Count)] : tftpSeeds[random.Next(tftpSeeds.Count)]),
            };
            await socket.SendToAsync(packet, toDhcp ? dhcp : tftp, Ct);
            if ((i + 1) % 2000 == 0)
                await CatchUpAsync(service, i + 1);
        }

        var address = await PxeBootTests.NetbootAsync(network, "52:54:00:30:00:01", Firmware.Bios, NetworkBoot.IpxeRom);

        address.ShouldStartWith("10.213.0.");
        var stats = await service.GetAsync("/api/v1/bootsvc/stats");
        var counters = System.Text.Json.JsonDocument.Parse(stats).RootElement;
        Received(counters).ShouldBeGreaterThanOrEqualTo(Datagrams * 95 / 100, stats);
        counters.GetProperty("dhcp").GetProperty("malformed").GetInt64().ShouldBeGreaterThan(Datagrams / 4);
        counters.GetProperty("dhcp").GetProperty("failed").GetInt64().ShouldBe(0);
        counters.GetProperty("tftp").GetProperty("malformed").GetInt64().ShouldBeGreaterThan(Datagrams / 8);
        service.Output.ShouldNotContain("Unhandled exception");
        // Mutated requests ask for windowsize 64 with blksize 65464 and never acknowledge: a
        // transfer that held its whole window (4 MiB) took the service past 2.9 GiB here.
        (service.PeakResidentBytes >> 20).ShouldBeLessThan(400, "peak resident MiB of the boot service");
    }

    /// <summary>Datagrams the service has taken in: the fuzz is only as good as what arrives, so the sender waits for the service to keep up.</summary>
    private static long Received(System.Text.Json.JsonElement counters) =>
        counters.GetProperty("dhcp").GetProperty("received").GetInt64()
        + counters.GetProperty("tftp").GetProperty("requests").GetInt64()
        + counters.GetProperty("tftp").GetProperty("malformed").GetInt64();

    private static async Task CatchUpAsync(BootServiceProcess service, int sent)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var counters = System.Text.Json.JsonDocument.Parse(await service.GetAsync("/api/v1/bootsvc/stats")).RootElement;
            if (Received(counters) >= sent * 99L / 100)
                return;
            await Task.Delay(20, Ct);
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Flips, inserts, deletes or truncates a few bytes of a valid packet.</summary>
    private static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = new List<byte>(seed);
        var edits = random.Next(1, 9);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3:
                    bytes.RemoveAt(at);
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }

    private static List<byte[]> DhcpSeeds()
    {
        var seeds = new List<byte[]>();
        foreach (var type in new[] { DhcpMessageType.Discover, DhcpMessageType.Request, DhcpMessageType.Release, DhcpMessageType.Inform, DhcpMessageType.Decline })
        {
            seeds.Add(DhcpRequests.Create(type, "02:00:00:00:00:01").ToBytes());
            seeds.Add(DhcpRequests.Create(type, "02:00:00:00:00:02", "PXEClient:Arch:00007:UNDI:003016", 7).ToBytes());
            seeds.Add(DhcpRequests.Create(type, "02:00:00:00:00:03", "PXEClient:Arch:00000:UNDI:002001", 0, ipxe: true).ToBytes());
            seeds.Add(DhcpRequests.Create(type, "02:00:00:00:00:04", "HTTPClient:Arch:00016:UNDI:003001", 16).ToBytes());
        }

        return seeds;
    }

    private static List<byte[]> TftpSeeds() =>
    [
        new TftpRequest(TftpOpcode.ReadRequest, "undionly.kpxe", "octet", new Dictionary<string, string> { ["blksize"] = "1468", ["tsize"] = "0" }).ToBytes(),
        new TftpRequest(TftpOpcode.ReadRequest, "deploy/vmlinuz", "netascii", new Dictionary<string, string> { ["windowsize"] = "16", ["timeout"] = "1" }).ToBytes(),
        new TftpRequest(TftpOpcode.WriteRequest, "upload", "octet", new Dictionary<string, string>()).ToBytes(),
        TftpPackets.Ack(1),
        TftpPackets.Error(TftpErrorCode.NotDefined, "fuzz"),
    ];
}
