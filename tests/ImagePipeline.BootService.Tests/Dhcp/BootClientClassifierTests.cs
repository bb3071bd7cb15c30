using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Tests.Support;

namespace ImagePipeline.BootService.Tests.Dhcp;

public sealed class BootClientClassifierTests
{
    [Theory]
    [InlineData("PXEClient:Arch:00000:UNDI:002001", (ushort)0, false, BootClientKind.BiosPxe)]
    [InlineData("PXEClient:Arch:00007:UNDI:003016", (ushort)7, false, BootClientKind.UefiPxe)]
    [InlineData("PXEClient:Arch:00009:UNDI:003016", (ushort)9, false, BootClientKind.UefiPxe)]
    [InlineData("HTTPClient:Arch:00016:UNDI:003001", (ushort)16, false, BootClientKind.UefiHttp)]
    [InlineData("PXEClient:Arch:00011:UNDI:003016", (ushort)11, false, BootClientKind.Unsupported)]
    [InlineData("PXEClient:Arch:00000:UNDI:002001", (ushort)0, true, BootClientKind.Ipxe)]
    [InlineData("PXEClient:Arch:00007:UNDI:003016", (ushort)7, true, BootClientKind.Ipxe)]
    [InlineData("udhcp 1.35.0", null, false, BootClientKind.None)]
    public void Clients_are_told_apart_by_vendor_class_architecture_and_iPXE_options(string vendorClass, ushort? architecture, bool ipxe, BootClientKind expected)
    {
        var request = DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:12:34:56", vendorClass, architecture, ipxe);

        BootClientClassifier.Classify(request).Kind.ShouldBe(expected);
    }

    [Fact]
    public void A_PXE_ROM_without_option_93_is_a_BIOS_ROM()
    {
        var request = DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:12:34:56", "PXEClient");

        BootClientClassifier.Classify(request).Kind.ShouldBe(BootClientKind.BiosPxe);
    }
}
