using System.Globalization;
using System.Text;

namespace ImagePipeline.Builder.Boot;

/// <summary>
/// Writes a cpio archive in the "newc" format the kernel unpacks as an initramfs
/// (Documentation/driver-api/early-userspace/buffer-format.rst). Every entry gets the same mtime
/// and inode numbers in order of writing, so the archive is byte-for-byte reproducible.
/// </summary>
public sealed class CpioNewcWriter(Stream output, long mtime)
{
    private const int DirectoryMode = 0x4000;
    private const int RegularMode = 0x8000;
    private const int SymlinkMode = 0xA000;
    private const int CharDeviceMode = 0x2000;
    private int nextInode = 1;

    public void Directory(string name, int permissions = 0b111_101_101) => Entry(name, DirectoryMode | permissions, [], 0, 0);

    public void File(string name, byte[] content, int permissions) => Entry(name, RegularMode | permissions, content, 0, 0);

    public void Symlink(string name, string target) => Entry(name, SymlinkMode | 0b111_111_111, Encoding.UTF8.GetBytes(target), 0, 0);

    public void CharDevice(string name, int major, int minor, int permissions) => Entry(name, CharDeviceMode | permissions, [], major, minor);

    public void Finish()
    {
        nextInode = 0;
        Entry("TRAILER!!!", 0, [], 0, 0);
    }

    private void Entry(string name, int mode, byte[] data, int rdevMajor, int rdevMinor)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var header = new StringBuilder("070701");
        foreach (var field in new long[] { nextInode == 0 ? 0 : nextInode++, mode, 0, 0, (mode & DirectoryMode) == DirectoryMode && (mode & RegularMode) == 0 ? 2 : 1, mtime, data.Length, 0, 0, rdevMajor, rdevMinor, nameBytes.Length + 1, 0 })
            header.Append(field.ToString("x8", CultureInfo.InvariantCulture));
        var headerBytes = Encoding.ASCII.GetBytes(header.ToString());
        output.Write(headerBytes);
        output.Write(nameBytes);
        output.WriteByte(0);
        Pad(headerBytes.Length + nameBytes.Length + 1);
        output.Write(data);
        Pad(data.Length);
    }

    private void Pad(long length)
    {
        for (var i = length % 4; i is > 0 and < 4; i++)
            output.WriteByte(0);
    }
}
