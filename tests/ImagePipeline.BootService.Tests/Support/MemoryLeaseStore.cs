using ImagePipeline.BootService.Dhcp;

namespace ImagePipeline.BootService.Tests.Support;

/// <summary>Leases in memory, for responder logic tests (persistence has its own SQLite tests).</summary>
internal sealed class MemoryLeaseStore : ILeaseStore
{
    public List<Lease> Saved { get; } = [];

    public Task<IReadOnlyList<Lease>> LoadLeasesAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<Lease>>([.. Saved]);

    public Task<Lease?> FindLeaseAsync(string mac, CancellationToken cancellationToken) => Task.FromResult(Saved.FirstOrDefault(l => l.Mac == mac));

    public Task SaveLeaseAsync(Lease lease, CancellationToken cancellationToken)
    {
        Saved.RemoveAll(l => l.Mac == lease.Mac);
        Saved.Add(lease);
        return Task.CompletedTask;
    }
}
