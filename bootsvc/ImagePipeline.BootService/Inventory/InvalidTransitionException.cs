using ImagePipeline.BootService.Contract;

namespace ImagePipeline.BootService.Inventory;

/// <summary>A state change the machine lifecycle does not allow.</summary>
public sealed class InvalidTransitionException : Exception
{
    public InvalidTransitionException()
    {
    }

    public InvalidTransitionException(string message) : base(message)
    {
    }

    public InvalidTransitionException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public InvalidTransitionException(MachineState from, MachineState to)
        : base($"a machine cannot go from {from} to {to}; allowed from {from}: {string.Join(", ", MachineLifecycle.AllowedFrom(from))}")
    {
    }
}
