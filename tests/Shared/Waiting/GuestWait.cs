namespace ImagePipeline.Tests.Waiting;

/// <summary>
/// How long a test waits for a guest to reach a point of its boot or its deploy before failing.
/// A TCG boot takes 15–25 s on an idle machine, a netboot with a full image write about 40 s; with
/// the suite's three lanes on two cores a guest runs at a fifth of that speed at worst (CI: a
/// netboot that takes 20 s alone was still in its kernel after 120 s, and the test failed). A wait
/// ends as soon as the text appears: only a failing test waits this long.
/// </summary>
public static class GuestWait
{
    /// <summary>A power-on or reboot to a point of the booted system (a login, an agent's report, a kernel panic).</summary>
    public static readonly TimeSpan Boot = TimeSpan.FromSeconds(300);

    /// <summary>A netboot into the deploy environment and its agent's write of a whole image, or an in-place write of a slot.</summary>
    public static readonly TimeSpan Deploy = TimeSpan.FromSeconds(600);
}
