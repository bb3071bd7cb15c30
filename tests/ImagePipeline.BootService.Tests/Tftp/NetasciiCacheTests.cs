using ImagePipeline.BootService.Tftp;

namespace ImagePipeline.BootService.Tests.Tftp;

public sealed class NetasciiCacheTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("imagepipe-netascii-");

    private FileInfo Write(string name, string text, DateTime modified)
    {
        var path = Path.Combine(root.FullName, name);
        File.WriteAllText(path, text);
        File.SetLastWriteTimeUtc(path, modified);
        return new FileInfo(path);
    }

    [Fact]
    public void Requests_for_one_file_version_share_one_conversion_and_a_changed_file_is_converted_again()
    {
        var cache = new NetasciiCache(1 << 20);
        var day = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);
        var first = cache.Get(Write("boot.ipxe", "#!ipxe\nchain x\n", day));
        var again = cache.Get(new FileInfo(Path.Combine(root.FullName, "boot.ipxe")));
        var changed = cache.Get(Write("boot.ipxe", "#!ipxe\nchain y\n", day.AddMinutes(1)));

        System.Text.Encoding.ASCII.GetString(first).ShouldBe("#!ipxe\r\nchain x\r\n");
        ReferenceEquals(first, again).ShouldBeTrue("the same version: the same conversion");
        System.Text.Encoding.ASCII.GetString(changed).ShouldBe("#!ipxe\r\nchain y\r\n");
    }

    [Fact]
    public void Past_its_budget_the_least_recently_used_conversion_is_dropped()
    {
        var cache = new NetasciiCache(2500);
        var day = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);
        var a = Write("a", new string('a', 1000), day);
        var b = Write("b", new string('b', 1000), day);
        var c = Write("c", new string('c', 1000), day);
        var firstA = cache.Get(a);
        cache.Get(b);
        cache.Get(a);
        cache.Get(c);

        cache.Bytes.ShouldBe(2000, "b, used least recently, was dropped");
        ReferenceEquals(cache.Get(a), firstA).ShouldBeTrue("a was used last but one: kept");
    }

    public void Dispose() => root.Delete(recursive: true);
}
