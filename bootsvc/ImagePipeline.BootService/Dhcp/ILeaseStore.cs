namespace ImagePipeline.BootService.Dhcp;

/// <summary>Where leases survive restarts. A lease is saved before the ACK that grants it is sent.</summary>
public interface ILeaseStore
{
    Task<IReadOnlyList<Lease>> LoadLeasesAsync(CancellationToken cancellationToken);

    Task SaveLeaseAsync(Lease lease, CancellationToken cancellationToken);
}
