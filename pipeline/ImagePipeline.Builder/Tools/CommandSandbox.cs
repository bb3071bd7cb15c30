namespace ImagePipeline.Builder.Tools;

/// <summary>
/// Where a recipe's <c>commands:</c> run: bubblewrap (bwrap), the sandbox mkosi and Flatpak use.
/// A recipe arrives by a git push and builds without a human looking, so its commands are
/// untrusted code running as root on the build server, which holds the signing key. A chroot
/// does not contain that (the host's /proc gives /proc/1/root, /dev gives the host's disks, a
/// second chroot leaves the first). bwrap was chosen over systemd-nspawn (wants a systemd host
/// and cgroup delegation, absent in containers and CI) and over an unprivileged user namespace
/// (files written must keep their real owners in the image, which an id-mapped namespace
/// would need idmapped overlay mounts for):
/// <list type="bullet">
/// <item>the image tree becomes '/' by pivot_root in a private mount namespace: nothing of
/// the host's file system is reachable, whatever the command chroots or mounts;</item>
/// <item>new PID, IPC, UTS and network namespaces: /proc shows only the sandbox's own
/// processes (no /proc/1/root of the host), and the only network is loopback — a build is a
/// pure function of the recipe, like mkosi's default;</item>
/// <item>a fresh minimal /dev (null, zero, full, random, urandom, tty, pts, shm — no disks),
/// /proc/sys and other kernel knobs read-only, no /sys;</item>
/// <item>uid 0 keeps only the capabilities package scripts need to set owners and modes
/// (Docker's default set minus MKNOD and NET_RAW); no CAP_SYS_ADMIN, MKNOD, SYS_MODULE,
/// SYS_RAWIO or SYS_PTRACE, and no_new_privs, so nothing regains them;</item>
/// <item>a new session (no TIOCSTI into the server's terminal) and death with the builder.</item>
/// </list>
/// </summary>
public static class CommandSandbox
{
    public const string Tool = "bwrap";

    /// <summary>What root inside the sandbox may still do: own, chmod and setuid files, change ids, signal its own processes.</summary>
    private static readonly string[] Capabilities =
        ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "SETFCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "AUDIT_WRITE"];

    /// <summary>Kernel knobs under /proc that root could otherwise write (core_pattern runs a program on the host).</summary>
    private static readonly string[] ReadOnlyProc = ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs", "/proc/acpi", "/proc/driver"];

    /// <summary>The bwrap arguments that run <paramref name="command"/> with <c>/bin/sh -ec</c> in <paramref name="tree"/> with <paramref name="environment"/> only.</summary>
    public static IReadOnlyList<string> Arguments(string tree, string command, IReadOnlyDictionary<string, string> environment)
    {
        var arguments = new List<string>
        {
            "--bind", tree, "/",
            "--dev", "/dev",
            "--proc", "/proc",
        };
        foreach (var path in ReadOnlyProc)
            arguments.AddRange(["--ro-bind-try", path, path]);
        // Not --unshare-all: that adds a user namespace, in which root's files would keep uid 0 but nothing else could be chowned.
        arguments.AddRange(["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net", "--unshare-cgroup-try"]);
        arguments.AddRange(["--die-with-parent", "--new-session", "--cap-drop", "ALL"]);
        foreach (var capability in Capabilities)
            arguments.AddRange(["--cap-add", "CAP_" + capability]);
        arguments.Add("--clearenv");
        foreach (var (name, value) in environment)
            arguments.AddRange(["--setenv", name, value]);
        arguments.AddRange(["--chdir", "/", "--", "/bin/sh", "-ec", command]);
        return arguments;
    }
}
