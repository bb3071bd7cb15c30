using Microsoft.Extensions.Time.Testing;

namespace ImagePipeline.Loops.Tests;

public sealed class RepeatedErrorLogTests
{
    [Fact]
    public void An_error_repeated_for_an_hour_is_a_line_at_its_start_one_every_five_minutes_and_one_at_the_recovery()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero));
        var lines = new List<string>();
        var log = new RepeatedErrorLog("server: reclaiming runs", lines.Add, clock);

        for (var round = 0; round < 3600; round++)
        {
            log.Failed("SqliteException: database is locked", TimeSpan.FromSeconds(1));
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        log.Recovered();

        lines.Count.ShouldBe(1 + 11 + 1, string.Join('\n', lines));
        lines[0].ShouldBe("server: reclaiming runs: failed: SqliteException: database is locked; retrying in 1.0 s");
        lines[1].ShouldStartWith("server: reclaiming runs: still failing after 301 rounds since 10:00:00 UTC: SqliteException: database is locked");
        lines[^1].ShouldBe("server: reclaiming runs: recovered after 3600 failed rounds over 60.0 min");
        log.Lines.ShouldBe(13);
    }

    [Fact]
    public void A_changed_error_is_written_again_with_how_often_the_one_before_repeated_and_a_recovery_without_failures_writes_nothing()
    {
        var clock = new FakeTimeProvider();
        var lines = new List<string>();
        var log = new RepeatedErrorLog("bootsvc: DHCP on br0", lines.Add, clock);

        log.Recovered();
        log.Failed("connection refused", TimeSpan.FromSeconds(1));
        log.Failed("connection refused", TimeSpan.FromSeconds(2));
        log.Failed("connection refused", TimeSpan.FromSeconds(4));
        log.Failed("no route to host", TimeSpan.FromSeconds(5));
        log.Recovered();
        log.Recovered();

        lines.ShouldBe([
            "bootsvc: DHCP on br0: failed: connection refused; retrying in 1.0 s",
            "bootsvc: DHCP on br0: failed: no route to host; retrying in 5.0 s (the previous error repeated 2 more times)",
            "bootsvc: DHCP on br0: recovered after 4 failed rounds over 0.0 s",
        ]);
    }
}
