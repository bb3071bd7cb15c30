namespace ImagePipeline.Validation.Machines;

public enum DiskBus
{
    Virtio,
    Sata,
    Nvme,
    Scsi,
}
