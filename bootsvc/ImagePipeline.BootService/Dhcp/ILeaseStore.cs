namespace ImagePipeline.BootService.Dhcp;

/// <summary>Where leases survive restarts. A lease is saved before the ACK that grants it is sent.</summary>
public interface ILeaseStore
{
    Task<IReadOnlyList<Lease>> LoadLeasesAsync(CancellationToken cancellationToken);

    Task SaveLeaseAsync(Lease lease, CancellationToken cancellationToken);

    /// <summary>The lease of <paramref name="mac"/> (canonical form), expired or not, or null when it never had one.</summary>
    Task<Lease?> FindLeaseAsync(string mac, CancellationToken cancellationToken);
}
