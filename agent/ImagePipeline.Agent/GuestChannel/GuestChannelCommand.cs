namespace ImagePipeline.Agent.GuestChannel;

/// <summary>
/// <c>imagepipe-agent guest-channel</c>: serves the validation channel (<see cref="GuestChannelServer"/>)
/// on the virtio-serial port only the validation harness's QEMU gives a machine. Started by udev
/// when that port appears (Debian images); on a machine without it — every physical machine, a
/// lab machine, any VM not started by the harness — it says so and exits 0, and nothing listens.
/// </summary>
public static class GuestChannelCommand
{
    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var device = ValidationPort.Find();
        if (device is null)
        {
            Say("no validation port on this machine: the validation channel stays closed");
            return 0;
        }

        var key = ValidationKey.Read();
        Say($"validation channel open on {device}; " + (key is null
            ? "the firmware gave no key, so every request will be refused"
            : "requests must carry this boot's key from the firmware"));
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var port = new FileStream(device, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
                await new GuestChannelServer(port, key, Say).ServeAsync(cancellationToken);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Say($"validation channel: {e.Message}; opening it again");
            }

            // The port reads as ended while the host side is not connected: wait for it to come back.
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        return 0;
    }

    private static void Say(string message) => Console.WriteLine($"imagepipeline-agent: {message}");
}
