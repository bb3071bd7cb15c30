using ImagePipeline.Tests.Deploy;
using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.BootService.Tests.Support;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Networks;

namespace ImagePipeline.BootService.Tests.RealClients;

/// <summary>Debian's udhcpc against full mode, and a netboot beside busybox udhcpd with the service in proxy mode.</summary>
public sealed partial class DhcpClientTests(DeployEnvironmentFixture deploy) : IDisposable
{
    private readonly DirectoryInfo scratch = Directory.CreateTempSubdirectory("imagepipe-dhcp-clients-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"lease: bound (\S+) mask (\S+) server (\S+) time (\d+)")]
    private static partial Regex Lease();

    /// <summary>udhcpc in a client namespace; its event script prints the lease instead of applying it.</summary>
    private async Task<Match> LeaseAsync(VirtualNetwork network, string client)
    {
        var script = Path.Combine(scratch.FullName, "print-lease.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\n[ \"$1\" = bound ] && echo \"lease: bound $ip mask $subnet server $serverid time $lease\"\nexit 0\n", Ct);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var result = await VirtualNetwork.InNamespace(client, "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "5", "-T", "1", "-s", script)
            .ExecuteBufferedAsync(Ct);
        var match = Lease().Match(result.StandardOutput);
        match.Success.ShouldBeTrue($"udhcpc got no lease: {result.StandardOutput} {result.StandardError}");
        return match;
    }

    [Fact]
    public async Task Udhcpc_gets_a_lease_in_full_mode_and_the_same_address_after_the_service_restarts()
    {
        await using var network = await VirtualNetwork.CreateAsync("udhcpc", Ct);
        var first = await network.AddClientNamespaceAsync("52:54:00:20:00:01", Ct);
        var second = await network.AddClientNamespaceAsync("52:54:00:20:00:02", Ct);
        Match lease;
        Match other;
        string data;
        await using (var service = await BootServiceProcess.StartAsync(network, deploy, null, "--lease-time", "600"))
        {
            data = service.DataDirectory;
            lease = await LeaseAsync(network, first);
            other = await LeaseAsync(network, second);
        }

        await using var restarted = await BootServiceProcess.StartAsync(network, deploy, data);
        var again = await LeaseAsync(network, first);

        lease.Groups[1].Value.ShouldStartWith("10.213.0.");
        lease.Groups[2].Value.ShouldBe("255.255.255.0");
        lease.Groups[3].Value.ShouldBe("10.213.0.1");
        lease.Groups[4].Value.ShouldBe("600");
        other.Groups[1].Value.ShouldNotBe(lease.Groups[1].Value);
        again.Groups[1].Value.ShouldBe(lease.Groups[1].Value);
    }

    [Fact]
    public async Task A_machine_netboots_from_proxy_mode_while_another_server_hands_out_the_addresses()
    {
        await using var network = await VirtualNetwork.CreateAsync("proxy", Ct);
        var router = await network.AddClientNamespaceAsync("52:54:00:20:00:fe", Ct);
        await VirtualNetwork.InNamespace(router, "ip", "addr", "add", "10.213.0.2/24", "dev", "eth0").ExecuteAsync(Ct);
        var config = Path.Combine(scratch.FullName, "udhcpd.conf");
        await File.WriteAllTextAsync(config, $"start 10.213.0.50\nend 10.213.0.60\ninterface eth0\nlease_file {scratch.FullName}/udhcpd.leases\nopt subnet 255.255.255.0\nopt lease 600\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(scratch.FullName, "udhcpd.leases"), "", Ct);
        using var stopUdhcpd = new CancellationTokenSource();
        var udhcpd = VirtualNetwork.InNamespace(router, "busybox", "udhcpd", "-f", config).ExecuteAsync(stopUdhcpd.Token);
        try
        {
            // A network with no IPv6 router of its own: ours (lifetime 0) spares iPXE its ~14 s IPv6 wait.
            await using var service = await BootServiceProcess.StartAsync(network, deploy, null, "--mode", "proxy", "--discovery", "--router-advertisements", "true");

            var address = await PxeBootTests.NetbootAsync(network, "52:54:00:20:00:03", Firmware.Bios, NetworkBoot.IpxeRom);

            var octet = int.Parse(address.Split('.')[3], System.Globalization.CultureInfo.InvariantCulture);
            octet.ShouldBeInRange(50, 60, "the address comes from udhcpd, the boot file from the proxy");
            service.Output.ShouldContain("DHCP Offer to 52:54:00:20:00:03 (Ipxe): address 0.0.0.0");
            service.Output.ShouldContain("GET /boot/52:54:00:20:00:03.ipxe");
            (await service.GetAsync("/api/v1/bootsvc/stats")).ShouldNotContain("\"routerAdvertisementsSent\":0");
        }
        finally
        {
            await stopUdhcpd.CancelAsync();
            try
            {
                await udhcpd;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public void Dispose() => scratch.Delete(recursive: true);
}
