namespace ImagePipeline.BootService.Contract;

/// <summary>The boot service no longer holds the events after a consumer's cursor: read a <see cref="FleetSnapshot"/> and follow from its cursor.</summary>
public sealed class EventCursorLostException(string message) : Exception(message);
