namespace ImagePipeline.Validation.Machines;

public enum NicModel
{
    VirtioNet,
    E1000,
    Rtl8139,
}
