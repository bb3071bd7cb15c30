namespace ImagePipeline.Recipes;

/// <summary>
/// A disk format the builder exports beside the raw disk, its zstd stream and its qcow2 (those
/// three are always made), for hypervisors and clouds that import images: a recipe's <c>formats:</c>.
/// </summary>
public enum ExportFormat
{
    /// <summary>Hyper-V's VHDX (dynamic).</summary>
    Vhdx,
    /// <summary>VMware's VMDK, stream-optimised: what VMware's OVA and the clouds' VM import take.</summary>
    Vmdk,
    /// <summary>A fixed VHD of a 1 MiB-aligned size: the form Azure's image import accepts.</summary>
    Vhd,
}
