using ImagePipeline.Agent.Deploy;
using ImagePipeline.Agent.Disks;

namespace ImagePipeline.Agent.Tests.Deploy;

public sealed class AgentConfigBlockTests
{
    [Fact]
    public void The_configuration_left_for_the_report_agent_is_read_back_from_the_gap_before_the_first_partition()
    {
        var disk = new FakeBlockDevice(4 << 20);
        var config = new AgentConfig("http://10.213.0.1:8080/", "token-123", "52:54:00:12:34:56", new string('a', 64));
        var head = new byte[1 << 20];
        Random.Shared.NextBytes(head);
        var image = (byte[])head.Clone();

        AgentConfigBlock.Write(head, config);
        disk.Write(0, head);

        AgentConfigBlock.Read(disk).ShouldBe(config);
        head.AsSpan(0, (int)AgentConfigBlock.Offset).SequenceEqual(image.AsSpan(0, (int)AgentConfigBlock.Offset)).ShouldBeTrue("nothing before the block changed");
        (AgentConfigBlock.Offset + AgentConfigBlock.Size).ShouldBe(1 << 20, "it ends where builder images start their first partition");
        (AgentConfigBlock.Offset / 512).ShouldBeGreaterThan(33, "it starts after the primary GPT's entries");
    }

    [Fact]
    public void A_disk_never_deployed_by_the_agent_has_no_configuration()
    {
        var disk = new FakeBlockDevice(4 << 20);
        Array.Fill(disk.Content, (byte)0xAA);

        AgentConfigBlock.Read(disk).ShouldBeNull();
        AgentConfigBlock.Read(new FakeBlockDevice(512 * 1024)).ShouldBeNull();
    }
}
