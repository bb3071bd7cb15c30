using ImagePipeline.Validation.Harness;

namespace ImagePipeline.Tests.Waiting;

/// <summary>
/// A test's wait for something the system does in the background (a sync, a run, a rollout), through
/// the product's one retry loop (<see cref="Retry"/>): it polls until the condition holds or the time
/// is up, then fails saying what was awaited.
/// </summary>
public static class Eventually
{
    /// <param name="diagnose">on a timeout, what the failure should also say (the state of what did not happen)</param>
    public static Task WaitAsync(string what, Func<Task<bool>> condition, int seconds = 60, Func<string>? diagnose = null) =>
        Retry.UntilAsync(what, async _ => await condition() ? null : "not yet", TimeSpan.FromSeconds(seconds), diagnose, cancellationToken: TestContext.Current.CancellationToken);
}
