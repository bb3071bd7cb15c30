using ImagePipeline.BootService.Contract;

namespace ImagePipeline.BootService.Inventory;

/// <summary>
/// The machine state machine. <c>discovered → deploying → booting → healthy | failed</c>, and
/// from any settled state back to deploying when the desired image changes. A machine in
/// deploying may deploy again (it netbooted twice: power cut mid-write); booting may be sent back
/// to deploying only by a new desired image.
/// </summary>
public static class MachineLifecycle
{
    private static readonly Dictionary<MachineState, MachineState[]> Allowed = new()
    {
        [MachineState.Discovered] = [MachineState.Discovered, MachineState.Deploying],
        [MachineState.Deploying] = [MachineState.Deploying, MachineState.Booting, MachineState.Failed],
        [MachineState.Booting] = [MachineState.Healthy, MachineState.Failed, MachineState.Deploying],
        [MachineState.Healthy] = [MachineState.Healthy, MachineState.Failed, MachineState.Deploying],
        [MachineState.Failed] = [MachineState.Failed, MachineState.Healthy, MachineState.Deploying],
    };

    public static bool CanMove(MachineState from, MachineState to) => Allowed[from].Contains(to);

    public static IReadOnlyList<MachineState> AllowedFrom(MachineState from) => Allowed[from];
}
