namespace ImagePipeline.Loops.Tests;

public sealed class BackoffTests
{
    [Fact]
    public void Each_failure_in_a_row_waits_twice_as_long_with_half_of_it_random_up_to_the_cap_and_a_success_starts_over()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random(7));

        var delays = Enumerable.Range(0, 10).Select(_ => backoff.NextDelay().TotalSeconds).ToList();
        backoff.Reset();
        var afterSuccess = backoff.NextDelay().TotalSeconds;

        double[] steps = [1, 2, 4, 8, 16, 30, 30, 30, 30, 30];
        for (var i = 0; i < steps.Length; i++)
            delays[i].ShouldBeInRange(steps[i] / 2, steps[i], $"failure {i + 1}");
        delays.Distinct().Count().ShouldBeGreaterThan(5, "jittered: processes that failed together do not retry together");
        afterSuccess.ShouldBeInRange(0.5, 1);
    }

    [Fact]
    public void A_cap_below_the_first_delay_is_refused()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new Backoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
        Should.Throw<ArgumentOutOfRangeException>(() => new Backoff(TimeSpan.Zero, TimeSpan.FromSeconds(1)));
    }
}
