using ImagePipeline.Builder.Disk;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Tests.Support;
using ImagePipeline.Builder.Tools;

namespace ImagePipeline.Builder.Tests;

/// <summary>
/// The security review's attack on the build server through a pushed recipe: its commands run as
/// root and try to read a host secret (standing for the signing key), leave the image tree, reach
/// the host's disks, kernel knobs and network, and plant a symlink for the builder to follow after
/// they end. Each attempt writes what it got into /attack.log in the image, which is then read
/// back out of the published disk.
/// </summary>
[Collection(nameof(ExclusiveStore))]
public sealed class CommandSandboxTests(TinyImage tiny) : IDisposable
{
    private readonly string secret = Path.Combine(Path.GetTempPath(), $"imagepipe-host-secret-{Guid.NewGuid():N}");
    private readonly string hostMarker = Path.Combine(Path.GetTempPath(), $"imagepipe-escaped-{Guid.NewGuid():N}");
    private const string SecretText = "HOST-SIGNING-KEY-MATERIAL";

    public void Dispose()
    {
        File.Delete(secret);
        File.Delete(hostMarker);
    }

    [Fact]
    public async Task A_recipe_s_commands_cannot_reach_the_host()
    {
        await File.WriteAllTextAsync(secret, SecretText + "\n", TestContext.Current.CancellationToken);
        var corePattern = await File.ReadAllTextAsync("/proc/sys/kernel/core_pattern", TestContext.Current.CancellationToken);
        string Try(string name, string attempt) => $"( {attempt} ) >> /attack.log 2>&1 && echo '{name}: done' >> /attack.log || echo '{name}: refused' >> /attack.log";
        var attack = tiny.Recipe with
        {
            Commands =
            [
                Try("read-direct", $"cat {secret}"),
                Try("read-proc1-root", $"cat /proc/1/root{secret}"),
                Try("write-proc1-root", $"echo escaped > /proc/1/root{hostMarker}"),
                Try("mknod-disk", "mknod /tmp/disk b 8 0"),
                Try("mount-proc", "mkdir -p /mnt && mount -t proc proc /mnt"),
                Try("core-pattern", "echo '|/tmp/owned' > /proc/sys/kernel/core_pattern"),
                "echo \"devices: $(ls /dev | tr '\\n' ' ')\" >> /attack.log",
                "echo \"processes: $(ls /proc | grep -c '^[0-9]')\" >> /attack.log",
                "echo \"interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ' ')\" >> /attack.log",
                "grep CapEff /proc/self/status >> /attack.log",
            ],
        };

        var result = await new ImageBuilder(tiny.Options, new RecordingObserver()).BuildAsync(attack, TestContext.Current.CancellationToken);

        var log = await ReadFromRootAsync(Path.Combine(result.Directory, "disk.raw"), "/attack.log");
        log.ShouldNotContain(SecretText);
        foreach (var attempt in new[] { "read-direct", "read-proc1-root", "mknod-disk", "mount-proc", "core-pattern" })
            log.ShouldContain($"{attempt}: refused", customMessage: log);
        // /proc/1/root is the sandbox's own first process: the write lands in the image, not on the host.
        File.Exists(hostMarker).ShouldBeFalse();
        (await ReadFromRootAsync(Path.Combine(result.Directory, "disk.raw"), hostMarker)).ShouldBe("escaped\n");
        (await File.ReadAllTextAsync("/proc/sys/kernel/core_pattern", TestContext.Current.CancellationToken)).ShouldBe(corePattern);

        var devices = log.Split('\n').Single(l => l.StartsWith("devices: ", StringComparison.Ordinal))["devices: ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        devices.ShouldNotContain("vda");
        devices.ShouldNotContain("sda");
        devices.ShouldNotContain("kvm");
        devices.ShouldContain("null");
        int.Parse(log.Split('\n').Single(l => l.StartsWith("processes: ", StringComparison.Ordinal))["processes: ".Length..]).ShouldBeLessThan(6);
        log.ShouldContain("interfaces: lo \n");
        var effective = Convert.ToUInt64(log.Split('\n').Single(l => l.StartsWith("CapEff:", StringComparison.Ordinal))["CapEff:".Length..].Trim(), 16);
        foreach (var (capability, bit) in new[] { ("SYS_MODULE", 16), ("SYS_RAWIO", 17), ("SYS_PTRACE", 19), ("SYS_ADMIN", 21), ("MKNOD", 27), ("NET_RAW", 13) })
            ((effective >> bit) & 1).ShouldBe(0ul, $"CAP_{capability} is effective in the sandbox");
    }

    [Fact]
    public async Task A_symlink_left_in_boot_for_the_builder_to_follow_fails_the_build_without_reading_the_host_file()
    {
        await File.WriteAllTextAsync(secret, SecretText + "\n", TestContext.Current.CancellationToken);
        var attack = tiny.Recipe with { Commands = [$"for k in /boot/vmlinuz-*; do ln -sf {secret} \"$k\"; done"] };

        var error = await Should.ThrowAsync<BuildStepException>(() => new ImageBuilder(tiny.Options, new RecordingObserver()).BuildAsync(attack, TestContext.Current.CancellationToken));

        error.Stage.ShouldBe("disk");
        error.Message.ShouldContain("cannot take /boot/vmlinuz-");
        error.Message.ShouldNotContain(SecretText);
    }

    private static async Task<string> ReadFromRootAsync(string disk, string path)
    {
        var scratch = Directory.CreateTempSubdirectory("sandbox-").FullName;
        try
        {
            var root = DiskPartitions.Extract(disk, GptReader.Read(disk).Partitions[1], Path.Combine(scratch, "root.img"));
            var cat = await Processes.RunAsync("debugfs", "-R", $"cat {path}", root);
            cat.ExitCode.ShouldBe(0, cat.StandardError);
            return cat.StandardOutput;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
