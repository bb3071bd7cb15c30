namespace ImagePipeline.Validation.Machines;

/// <summary>How QEMU caches the VM's disk (its -drive cache= mode).</summary>
public enum DiskCache
{
    /// <summary>Flushes ignored: fastest; what a killed QEMU leaves on the overlay is undefined. For throw-away validation boots.</summary>
    Unsafe,
    /// <summary>Every write reaches the overlay (data and qcow2 metadata) before the guest sees it done: a power cut leaves exactly what was written, as a real disk does.</summary>
    WriteThrough,
}
