using System.Buffers;
using System.Runtime.InteropServices;

namespace ImagePipeline.Agent.Writing;

/// <summary>Native memory aligned to 4 KiB, as O_DIRECT writes require.</summary>
internal sealed unsafe class AlignedBuffer : MemoryManager<byte>
{
    private readonly byte* pointer;
    private readonly int length;

    public AlignedBuffer(int length)
    {
        this.length = length;
        pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, 4096);
    }

    public override Span<byte> GetSpan() => new(pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing) => NativeMemory.AlignedFree(pointer);
}
