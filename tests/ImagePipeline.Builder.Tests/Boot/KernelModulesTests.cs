using ImagePipeline.Builder.Boot;

namespace ImagePipeline.Builder.Tests.Boot;

public sealed class KernelModulesTests : IDisposable
{
    private readonly DirectoryInfo modules = Directory.CreateTempSubdirectory("imagepipe-modules-");

    public KernelModulesTests()
    {
        File.WriteAllText(Path.Combine(modules.FullName, "modules.dep"), """
            kernel/drivers/net/ethernet/intel/e1000/e1000.ko:
            kernel/drivers/net/ethernet/mellanox/mlx4/mlx4_core.ko:
            kernel/drivers/net/ethernet/mellanox/mlx4/mlx4_en.ko: kernel/drivers/net/ethernet/mellanox/mlx4/mlx4_core.ko
            kernel/drivers/net/virtio_net.ko: kernel/drivers/virtio/virtio.ko
            kernel/drivers/virtio/virtio.ko:
            kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko
            kernel/fs/jbd2/jbd2.ko:
            """);
        File.WriteAllText(Path.Combine(modules.FullName, "modules.alias"), """
            # Aliases extracted from modules themselves.
            alias pci:v00008086d0000100Esv*sd*bc*sc*i* e1000
            alias pci:v00008086d0000100Fsv*sd*bc*sc*i* e1000
            alias pci:v000015B3d00001003sv*sd*bc*sc*i* mlx4_core
            alias virtio:d00000001v* virtio_net
            alias fs-ext4 ext4
            alias ext3 ext4
            """);
    }

    [Fact]
    public void A_driver_has_its_PCI_and_virtio_patterns_one_without_its_dependencies_and_a_filesystem_none()
    {
        var kernel = new KernelModules(modules.FullName);

        kernel.DevicePatterns("e1000").ShouldBe(["pci:v00008086d0000100Esv*sd*bc*sc*i*", "pci:v00008086d0000100Fsv*sd*bc*sc*i*"]);
        kernel.DevicePatterns("virtio-net").ShouldBe(["virtio:d00000001v*"]);
        kernel.DevicePatterns("mlx4_en").ShouldBe(["pci:v000015B3d00001003sv*sd*bc*sc*i*"], "mlx4_en drives what mlx4_core found");
        kernel.DevicePatterns("ext4").ShouldBeEmpty("fs-ext4 is no device: ext4 is loaded on every machine");
        kernel.DevicePatterns("not-a-module").ShouldBeEmpty();
        kernel.LoadOrder(["mlx4_en"]).ShouldBe(["kernel/drivers/net/ethernet/mellanox/mlx4/mlx4_core.ko", "kernel/drivers/net/ethernet/mellanox/mlx4/mlx4_en.ko"]);
    }

    [Fact]
    public void A_kernel_without_modules_alias_is_refused_with_what_to_do()
    {
        File.Delete(Path.Combine(modules.FullName, "modules.alias"));

        Should.Throw<InvalidOperationException>(() => new KernelModules(modules.FullName).DevicePatterns("e1000")).Message.ShouldContain("run depmod");
    }

    public void Dispose() => modules.Delete(recursive: true);
}
