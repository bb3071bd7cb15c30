using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Inventory;

namespace ImagePipeline.BootService.Scripts;

/// <summary>
/// Decides what a machine boots when its iPXE asks for its script: the deploy environment when
/// its desired image is not on its disk yet (or it is new and discovery is on), its local disk
/// otherwise. A machine whose deployments keep failing is held instead of reinstalled forever.
/// </summary>
public sealed class BootScriptPlanner(IMachineInventory inventory, BootEndpoints endpoints, BootScriptPolicy policy)
{
    public async Task<string> ScriptForAsync(string mac, CancellationToken cancellationToken)
    {
        var machine = await inventory.GetByMacAsync(mac, cancellationToken);
        if (machine is null)
        {
            if (!policy.Discovery)
                return IpxeScripts.LocalDisk($"{mac} is not in the inventory and discovery is off: booting the local disk");
            machine = await inventory.DiscoverAsync(mac, cancellationToken);
        }

        if (machine.NeedsDeploy)
        {
            if (machine.DeployAttempts >= policy.MaxDeployAttempts)
            {
                var reason = $"gave up deploying {machine.DesiredImage} after {machine.DeployAttempts} attempts (last error: {machine.LastError ?? "none reported"})";
                if (machine.State != MachineState.Failed)
                    await inventory.TransitionAsync(mac, MachineState.Failed, reason, m => m with { LastError = reason }, cancellationToken);
                return IpxeScripts.Hold(reason);
            }

            var attempt = machine.DeployAttempts + 1;
            await inventory.TransitionAsync(mac, MachineState.Deploying,
                $"netboot to deploy {machine.DesiredImage} (attempt {attempt} of {policy.MaxDeployAttempts})",
                m => m with { DeployAttempts = attempt }, cancellationToken);
            var token = await inventory.IssueTokenAsync(mac, cancellationToken);
            return IpxeScripts.Deploy(endpoints, machine.Mac, token, $"deploying image {machine.DesiredImage}", policy.ExtraKernelArguments);
        }

        if (machine.State == MachineState.Discovered)
        {
            var token = await inventory.IssueTokenAsync(mac, cancellationToken);
            return IpxeScripts.Deploy(endpoints, machine.Mac, token, "discovery: registering this machine's hardware", policy.ExtraKernelArguments);
        }

        return IpxeScripts.LocalDisk(machine.CurrentImage is null
            ? "no image assigned: booting the local disk"
            : $"image {machine.CurrentImage} is current: booting the local disk");
    }
}
