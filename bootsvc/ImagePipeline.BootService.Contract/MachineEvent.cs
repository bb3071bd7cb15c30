namespace ImagePipeline.BootService.Contract;

/// <summary>
/// One entry of a machine's history: a state change (<see cref="To"/> set, <see cref="Kind"/> the
/// new state's name in lower case) or something worth an operator's eye (<see cref="MachineEventKind"/>).
/// <see cref="Id"/> numbers the boot service's whole event log: it only grows, one by one, in the
/// order the events were written (<see cref="EventFeedPage"/>).
/// </summary>
/// <param name="Mac">the machine's MAC address</param>
public sealed record MachineEvent(long Id, string MachineId, DateTimeOffset At, string Kind, MachineState? From, MachineState? To, string Detail, string? Mac = null)
{
    /// <summary>The machine moved into <paramref name="state"/> with this event.</summary>
    public bool Entered(MachineState state) => To == state;

    /// <summary>The machine reached a verdict on its image with this event: it moved into healthy or failed.</summary>
    public bool EndsDeployment => To is MachineState.Healthy or MachineState.Failed;
}
