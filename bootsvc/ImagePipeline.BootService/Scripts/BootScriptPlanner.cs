using System.Net;
using ImagePipeline.BootService.Contract;
using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Inventory;

namespace ImagePipeline.BootService.Scripts;

/// <summary>
/// Decides what a machine boots when its iPXE asks for its script: the deploy environment when
/// its desired image is not on its disk yet (or it is new and discovery is on), its local disk
/// otherwise. A machine whose deployments keep failing is held instead of reinstalled forever.
/// A script with an agent token is only handed to the machine itself (<see cref="BootScriptPolicy.LeasesAddresses"/>),
/// and the token works only from the address that fetched it.
/// </summary>
public sealed class BootScriptPlanner(IMachineInventory inventory, ILeaseStore leases, BootEndpoints endpoints, BootScriptPolicy policy)
{
    /// <param name="requester">the address the request came from (the machine itself, when it is not an impostor)</param>
    public async Task<string> ScriptForAsync(string mac, IPAddress? requester, CancellationToken cancellationToken)
    {
        var machine = await inventory.GetByMacAsync(mac, cancellationToken);
        if (machine is null)
        {
            if (!policy.Discovery)
                return IpxeScripts.LocalDisk($"{mac} is not in the inventory and discovery is off: booting the local disk");
            if (await RefusalAsync(mac, requester, cancellationToken) is { } early)
                return IpxeScripts.Refused(early);
            machine = await inventory.DiscoverAsync(mac, cancellationToken);
        }

        // Without leases of its own the service learns a machine's address from its script requests.
        if (!policy.LeasesAddresses && requester is not null)
            await inventory.RecordAddressAsync(mac, requester, null, cancellationToken);
        if (!machine.NeedsDeploy && machine.State != MachineState.Discovered)
        {
            return IpxeScripts.LocalDisk(machine.CurrentImage is null
                ? "no image assigned: booting the local disk"
                : $"image {machine.CurrentImage} is current: booting the local disk");
        }

        // The running system's agent writes the desired image into its other slot: a netboot meanwhile (a reboot, its trial boot) boots the disk.
        if (machine.UpdatesInPlace)
            return IpxeScripts.LocalDisk($"image {machine.DesiredImage} is to be written in place by the running system: booting the local disk");

        // From here on the script carries a token and a deploy counts: only for the machine itself.
        if (await RefusalAsync(mac, requester, cancellationToken) is { } refusal)
            return IpxeScripts.Refused(refusal);
        if (policy.LeasesAddresses && requester is not null)
            await inventory.RecordAddressAsync(mac, requester, null, cancellationToken);

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
            var token = await inventory.IssueTokenAsync(mac, requester, cancellationToken);
            return IpxeScripts.Deploy(endpoints, machine.Mac, token, $"deploying image {machine.DesiredImage}", policy.ExtraKernelArguments);
        }

        var discovery = await inventory.IssueTokenAsync(mac, requester, cancellationToken);
        return IpxeScripts.Deploy(endpoints, machine.Mac, discovery, "discovery: registering this machine's hardware", policy.ExtraKernelArguments);
    }

    /// <summary>Why the requester is not the machine (full mode: not the address this service leased to the MAC), or null.</summary>
    private async Task<string?> RefusalAsync(string mac, IPAddress? requester, CancellationToken cancellationToken)
    {
        if (!policy.LeasesAddresses)
            return null;
        var lease = await leases.FindLeaseAsync(mac, cancellationToken);
        if (lease is null)
            return $"no DHCP lease for {mac} from this boot service: a machine's own netboot asks for one first";
        return requester is not null && lease.Address.Equals(requester)
            ? null
            : $"the script of {mac} goes to {lease.Address}, its DHCP address, not to {requester?.ToString() ?? "an unknown address"}";
    }
}
