using System.Diagnostics;
using System.Text.RegularExpressions;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Qemu;
using ImagePipeline.Validation.Tests.Support;

namespace ImagePipeline.Validation.Tests.Qemu;

/// <summary>The QEMU harness on real TCG guests; the tests that only ask a running guest share one (<see cref="RunningTinyVm"/>).</summary>
public sealed class QemuVmTests(TestImages images, RunningTinyVm running) : IClassFixture<TestImages>, IClassFixture<RunningTinyVm>
{
    // Not anchored at the end of a line: a kernel message may follow the prompt at any moment.
    private static readonly Regex LoginPrompt = new("login: ");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Commands_run_in_the_guest_with_their_exit_code_and_output()
    {
        var vm = running.Vm;

        (await vm.SucceedAsync("cat /etc/hostname", cancellationToken: Ct)).ShouldBe("tiny\n");
        (await vm.ExecuteAsync("echo to stderr >&2; exit 3", cancellationToken: Ct)).ShouldBe((3, "to stderr\n"));
        await vm.FailAsync("test -e /no/such/file", cancellationToken: Ct);
        await Should.ThrowAsync<CheckFailedException>(() => vm.SucceedAsync("false", cancellationToken: Ct));
        // Output that looks like the harness's own markers is still just output.
        (await vm.SucceedAsync("echo __IPE9__ 7; echo after", cancellationToken: Ct)).ShouldBe("__IPE9__ 7\nafter\n");
    }

    [Fact]
    public async Task The_guest_cpu_has_a_hardware_random_generator_so_the_kernel_random_pool_is_ready_before_userspace()
    {
        var vm = running.Vm;

        (await vm.SucceedAsync("grep -m1 -o -w rdrand /proc/cpuinfo", cancellationToken: Ct)).ShouldBe("rdrand\n");
        // Without it the pool is ready only once the kernel has gathered timer jitter, seconds into a TCG boot.
        var ready = Regex.Match(vm.Console.Text, @"\[ *(?<seconds>[0-9]+\.[0-9]+)\] random: crng init done");
        ready.Success.ShouldBeTrue("the kernel says when its random pool is ready");
        double.Parse(ready.Groups["seconds"].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBeLessThan(1.0);
        vm.Console.Text.IndexOf(ready.Value, StringComparison.Ordinal).ShouldBeLessThan(vm.Console.Text.IndexOf("Run /init", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_port_is_open_only_once_the_guest_listens()
    {
        var vm = running.Vm;

        var closed = await Should.ThrowAsync<CheckFailedException>(() => vm.WaitForOpenPortAsync(RunningTinyVm.ForwardedPort, TimeSpan.FromSeconds(3), Ct));
        closed.Message.ShouldContain($"port {RunningTinyVm.ForwardedPort}");

        await vm.SucceedAsync($"httpd -p {RunningTinyVm.ForwardedPort} -h /etc", cancellationToken: Ct);
        await vm.WaitForOpenPortAsync(RunningTinyVm.ForwardedPort, TimeSpan.FromSeconds(30), Ct);
    }

    [Fact]
    public async Task A_power_cut_stops_the_machine_and_it_boots_again_from_its_disk()
    {
        await using var vm = await QemuVm.StartAsync(QemuMachine.Create("uefi-virtio").WithFirmware(Firmware.Uefi), images.Tiny, cancellationToken: Ct);
        await vm.WaitForConsoleTextAsync(LoginPrompt, cancellationToken: Ct);
        await vm.SucceedAsync("echo written-before-the-cut > /root/marker; sync", cancellationToken: Ct);

        await vm.CrashAsync();
        vm.IsRunning.ShouldBeFalse();
        var since = vm.Console.Position;
        await vm.PowerOnAsync(Ct);

        await vm.WaitForConsoleTextAsync(LoginPrompt, since: since, cancellationToken: Ct);
        Regex.Count(vm.Console.Text, "imagepipeline: tiny started").ShouldBe(2, "the transcript spans both power cycles");
        (await vm.SucceedAsync("cat /root/marker", cancellationToken: Ct)).ShouldBe("written-before-the-cut\n");
    }

    // The shell that would answer `reboot` goes down with the machine: the reboot is what is waited
    // for, and a command that powers the machine off instead is told apart from it.
    [Fact]
    public async Task A_reboot_from_inside_ends_QEMU_as_a_reset_and_a_power_off_is_not_taken_for_one()
    {
        await using var vm = await QemuVm.StartAsync(QemuMachine.Create("bios-virtio"), images.Tiny, cancellationToken: Ct);
        await vm.WaitForConsoleTextAsync(LoginPrompt, cancellationToken: Ct);

        await vm.RebootAsync("reboot -f", TimeSpan.FromSeconds(60), Ct);
        vm.IsRunning.ShouldBeFalse();
        // Both read to the end once the exit is seen: the SHUTDOWN event, and the kernel's last line
        // (printed just before the reset), which stays in the console's text after the next power-on.
        vm.LastShutdownReason.ShouldBe("guest-reset");
        vm.Console.Text.ShouldContain("reboot: Restarting system");

        var since = vm.Console.Position;
        await vm.PowerOnAsync(Ct);
        vm.Console.Text[..since].ShouldContain("reboot: Restarting system");
        await vm.WaitForConsoleTextAsync(LoginPrompt, since: since, cancellationToken: Ct);
        var powerOff = await Should.ThrowAsync<CheckFailedException>(() => vm.RebootAsync("poweroff -f", TimeSpan.FromSeconds(60), Ct));
        powerOff.Message.ShouldContain("stopped (guest-shutdown) instead of rebooting");
    }

    [Fact]
    public async Task Pulling_the_cable_takes_the_link_down_until_it_is_plugged_back()
    {
        await using var vm = await QemuVm.StartAsync(QemuMachine.Create("bios-e1000").WithNic(NicModel.E1000), images.Tiny, cancellationToken: Ct);
        await vm.WaitForConsoleTextAsync(LoginPrompt, cancellationToken: Ct);
        await vm.WaitUntilSucceedsAsync("grep -q 1 /sys/class/net/eth0/carrier", cancellationToken: Ct);

        await vm.BlockAsync(Ct);
        await vm.WaitUntilSucceedsAsync("grep -q 0 /sys/class/net/eth0/carrier", TimeSpan.FromSeconds(20), Ct);
        await vm.UnblockAsync(Ct);
        await vm.WaitUntilSucceedsAsync("grep -q 1 /sys/class/net/eth0/carrier", TimeSpan.FromSeconds(20), Ct);
    }

    [Fact]
    public async Task A_screenshot_is_a_png_of_the_vga_console()
    {
        var vm = running.Vm;
        var png = Path.Combine(vm.Directory, "screen.png");

        await vm.ScreenshotAsync(png, Ct);

        var header = new byte[8];
        await using (var file = File.OpenRead(png))
            await file.ReadExactlyAsync(header, Ct);
        header.ShouldBe(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
    }

    [Fact]
    public async Task A_kernel_panic_fails_the_wait_at_once_with_the_panic_lines()
    {
        await using var vm = await QemuVm.StartAsync(QemuMachine.Create("bios-virtio"), images.Panicking, cancellationToken: Ct);

        var error = await Should.ThrowAsync<CheckFailedException>(() => vm.WaitForConsoleTextAsync(LoginPrompt, TimeSpan.FromSeconds(120), cancellationToken: Ct));

        error.Message.ShouldContain("kernel panic");
        error.Message.ShouldContain("Attempted to kill init");
        var panicAt = vm.Console.Text.IndexOf("Kernel panic", StringComparison.Ordinal);
        panicAt.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task A_QEMU_that_dies_is_reported_as_the_harness_breaking()
    {
        await using var vm = await QemuVm.StartAsync(QemuMachine.Create("bios-virtio"), images.Tiny, cancellationToken: Ct);
        var qemu = Process.GetProcessesByName("qemu-system-x86_64").Single(p => File.ReadAllText($"/proc/{p.Id}/cmdline").Contains(vm.Directory, StringComparison.Ordinal));

        qemu.Kill();

        await Should.ThrowAsync<HarnessException>(() => vm.WaitForConsoleTextAsync(LoginPrompt, TimeSpan.FromSeconds(60), cancellationToken: Ct));
    }

    [Fact]
    public async Task An_image_that_is_not_qcow2_is_refused_before_anything_starts()
    {
        var bogus = Path.Combine(Path.GetTempPath(), $"not-an-image-{Guid.NewGuid():N}.qcow2");
        await File.WriteAllTextAsync(bogus, "hello", Ct);
        try
        {
            var error = await Should.ThrowAsync<HarnessException>(() => QemuVm.StartAsync(QemuMachine.Create("x"), bogus, cancellationToken: Ct));
            error.Message.ShouldContain("overlay");
        }
        finally
        {
            File.Delete(bogus);
        }
    }

    [Fact]
    public async Task Disposing_a_running_vm_leaves_no_process_socket_or_overlay()
    {
        var vm = await QemuVm.StartAsync(QemuMachine.Create("uefi-nvme").WithFirmware(Firmware.Uefi).WithDiskBus(DiskBus.Nvme), images.Tiny, cancellationToken: Ct);
        var directory = vm.Directory;
        File.Exists(Path.Combine(directory, "overlay.qcow2")).ShouldBeTrue();

        await vm.DisposeAsync();

        Directory.Exists(directory).ShouldBeFalse();
        Process.GetProcessesByName("qemu-system-x86_64")
            .Where(p => { try { return File.ReadAllText($"/proc/{p.Id}/cmdline").Contains(directory, StringComparison.Ordinal); } catch (IOException) { return false; } })
            .ShouldBeEmpty();
    }
}
