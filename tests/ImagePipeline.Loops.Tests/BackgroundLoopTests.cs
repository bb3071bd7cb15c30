using System.Collections.Concurrent;

namespace ImagePipeline.Loops.Tests;

public sealed class BackgroundLoopTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RetryPacer Pacer(ConcurrentQueue<string> lines) =>
        new("test: loop", lines.Enqueue, TimeProvider.System, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(80));

    [Fact]
    public async Task A_round_that_keeps_failing_fast_backs_off_instead_of_spinning_and_is_logged_once_then_the_recovery()
    {
        var lines = new ConcurrentQueue<string>();
        var pacer = Pacer(lines);
        var failing = true;
        var rounds = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loop = BackgroundLoop.RunAsync(pacer, TimeSpan.FromMilliseconds(20), _ =>
        {
            Interlocked.Increment(ref rounds);
            return Volatile.Read(ref failing) ? throw new InvalidOperationException("the database is away") : Task.CompletedTask;
        }, TimeProvider.System, stop.Token);

        await Task.Delay(1000, Ct);
        var failedRounds = Volatile.Read(ref rounds);
        Volatile.Write(ref failing, false);
        await Task.Delay(300, Ct);
        await stop.CancelAsync();
        await loop;

        // 10, 20, 40, then 80 ms at most between tries (half of each random): never more than ~40 in a second, where a spin makes millions.
        failedRounds.ShouldBeInRange(5, 45);
        pacer.Failures.ShouldBe(failedRounds);
        pacer.ConsecutiveFailures.ShouldBe(0, "it recovered");
        pacer.Rounds.ShouldBeGreaterThan(failedRounds, "rounds went on at the interval after the recovery");
        lines.Count.ShouldBe(2, string.Join('\n', lines));
        lines.First().ShouldBe($"test: loop: failed: InvalidOperationException: the database is away; retrying in {lines.First().Split("retrying in ")[1]}");
        lines.Last().ShouldStartWith($"test: loop: recovered after {failedRounds} failed rounds");
    }

    [Fact]
    public async Task A_disposed_service_provider_or_the_loops_cancellation_ends_the_loop_quietly()
    {
        var lines = new ConcurrentQueue<string>();
        var disposed = BackgroundLoop.RunAsync(Pacer(lines), TimeSpan.FromMilliseconds(10),
            _ => throw new ObjectDisposedException("IServiceProvider"), TimeProvider.System, Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var cancelled = BackgroundLoop.RunAsync(Pacer(lines), TimeSpan.FromMilliseconds(10),
            async ct => await Task.Delay(Timeout.Infinite, ct), TimeProvider.System, stop.Token);

        await disposed.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        await stop.CancelAsync();
        await cancelled.WaitAsync(TimeSpan.FromSeconds(5), Ct);

        disposed.IsCompletedSuccessfully.ShouldBeTrue();
        cancelled.IsCompletedSuccessfully.ShouldBeTrue();
        lines.ShouldBeEmpty("shutdown is not a failure");
    }

    [Fact]
    public async Task A_timeout_inside_a_round_is_a_failure_to_retry_not_the_end_of_the_loop()
    {
        var lines = new ConcurrentQueue<string>();
        var pacer = Pacer(lines);
        var rounds = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loop = BackgroundLoop.RunAsync(pacer, TimeSpan.FromMilliseconds(10), _ =>
            Interlocked.Increment(ref rounds) < 3 ? throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 20 seconds elapsing.") : Task.CompletedTask,
            TimeProvider.System, stop.Token);

        for (var waited = 0; pacer.Rounds < 5 && waited < 500; waited++)
            await Task.Delay(10, Ct);
        await stop.CancelAsync();
        await loop;

        pacer.Failures.ShouldBe(2);
        lines.First().ShouldContain("TaskCanceledException: The request was canceled due to the configured HttpClient.Timeout");
    }

    [Fact]
    public void A_shutdown_is_told_from_a_failure_also_when_it_is_wrapped()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        BackgroundLoop.IsShutdown(new OperationCanceledException(), cancelled.Token).ShouldBeTrue();
        BackgroundLoop.IsShutdown(new OperationCanceledException(), CancellationToken.None).ShouldBeFalse("a timeout while the loop runs on");
        BackgroundLoop.IsShutdown(new InvalidOperationException("saving", new ObjectDisposedException("IServiceProvider")), CancellationToken.None).ShouldBeTrue();
        BackgroundLoop.IsShutdown(new HttpRequestException("Connection refused"), CancellationToken.None).ShouldBeFalse();
    }

    [Fact]
    public async Task A_wake_starts_the_next_round_before_the_interval_and_a_burst_of_wakes_during_a_round_is_one_round_after_the_gap()
    {
        var lines = new ConcurrentQueue<string>();
        var wakeup = new LoopWakeup();
        var rounds = new ConcurrentQueue<long>();
        using var release = new SemaphoreSlim(0);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loop = BackgroundLoop.RunAsync(Pacer(lines), TimeSpan.FromHours(1), async ct =>
        {
            rounds.Enqueue(System.Diagnostics.Stopwatch.GetTimestamp());
            await release.WaitAsync(ct);
        }, TimeProvider.System, wakeup, TimeSpan.FromMilliseconds(200), stop.Token);

        await Eventually(() => rounds.Count == 1);
        // Woken five times while the first round still runs: one more round, not five.
        for (var i = 0; i < 5; i++)
            wakeup.Wake();
        var ended = System.Diagnostics.Stopwatch.GetTimestamp();
        release.Release();
        await Eventually(() => rounds.Count == 2);
        release.Release();
        await Task.Delay(500, Ct);
        var afterBurst = rounds.Count;
        wakeup.Wake();
        await Eventually(() => rounds.Count == 3);
        release.Release();
        await stop.CancelAsync();
        await loop;

        afterBurst.ShouldBe(2, "five wakes during a round are one round; with no wake, the hour's interval holds");
        System.Diagnostics.Stopwatch.GetElapsedTime(ended, rounds.ElementAt(1)).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(190), "never sooner than the gap after a round");
        lines.ShouldBeEmpty();
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (var waited = 0; !condition(); waited += 10)
        {
            waited.ShouldBeLessThan(5000, "the loop did not get there within 5 s");
            await Task.Delay(10, Ct);
        }
    }
}
