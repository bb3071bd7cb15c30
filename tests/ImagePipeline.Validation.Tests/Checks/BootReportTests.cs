using ImagePipeline.Validation.Checks;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Validation.Tests.Checks;

public sealed class BootReportTests
{
    private const string Kernel = "[    6.357600] IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready\r\n";

    private static BootReport? Read(string console) =>
        BootReport.Pattern().Match(KernelLogRecords.Remove(console)) is { Success: true } match ? BootReport.Parse(match) : null;

    [Fact]
    public void A_kernel_record_that_broke_into_the_line_is_taken_out_and_the_line_reads_as_the_image_printed_it()
    {
        // Seen under load: the record landed before the report's own line end, and was read as failed units.
        var atTheEnd = Read("Welcome\r\nimagepipeline-report: nics=eth0 addresses=eth0=10.0.2.15/24 failed-units=" + Kernel + "\r\n")!;
        var inTheMiddle = Read("imagepipeline-report: nics=eth0 addre" + Kernel + "sses=eth0=10.0.2.15/24 failed-units=nginx.service\r\n")!;

        atTheEnd.FailedUnits.ShouldBeEmpty();
        atTheEnd.Nics.ShouldBe(["eth0"]);
        atTheEnd.Addresses["eth0"].ShouldBe("10.0.2.15/24");
        inTheMiddle.Addresses["eth0"].ShouldBe("10.0.2.15/24");
        inTheMiddle.FailedUnits.ShouldBe(["nginx.service"]);
    }

    [Fact]
    public void Only_kernel_records_are_taken_out()
    {
        const string programs = "[  OK  ] Started nginx.service\r\n[1.5] is not a kernel record\r\nlogin: ";

        KernelLogRecords.Remove(Kernel + programs + Kernel).ShouldBe(programs);
    }
}
