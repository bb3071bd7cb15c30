using ImagePipeline.Validation.Qemu;
using ImagePipeline.Validation.Tests.Support;

namespace ImagePipeline.Validation.Tests.Qemu;

public sealed class AcceleratorTests(TestImages images) : IClassFixture<TestImages>
{
    [Fact]
    public async Task KVM_is_used_only_when_a_probe_guest_answers_and_the_answer_is_remembered_until_reboot()
    {
        var bootId = (await File.ReadAllTextAsync("/proc/sys/kernel/random/boot_id", TestContext.Current.CancellationToken)).Trim();
        var remembered = Path.Combine(Path.GetTempPath(), $"imagepipe-kvm-probe-{bootId}");
        File.Delete(remembered);

        var first = await Accelerator.ChooseAsync(images.Tiny, TestContext.Current.CancellationToken);

        first.ShouldBeOneOf(Accelerator.Tcg, Accelerator.Kvm);
        if (!File.Exists("/dev/kvm"))
        {
            // A host without KVM at all (some CI machines): TCG at once, no probe guest, nothing to remember.
            first.ShouldBe(Accelerator.Tcg);
            File.Exists(remembered).ShouldBeFalse();
            (await Accelerator.ChooseAsync(images.Tiny, TestContext.Current.CancellationToken)).ShouldBe(Accelerator.Tcg);
            return;
        }

        (await File.ReadAllTextAsync(remembered, TestContext.Current.CancellationToken)).ShouldBe(first);
        (await Accelerator.ChooseAsync(images.Tiny, TestContext.Current.CancellationToken)).ShouldBe(first);
    }
}
