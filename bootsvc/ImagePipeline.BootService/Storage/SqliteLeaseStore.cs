using System.Globalization;
using System.Net;
using ImagePipeline.BootService.Dhcp;

namespace ImagePipeline.BootService.Storage;

/// <summary>DHCP leases in the boot database.</summary>
public sealed class SqliteLeaseStore(BootDatabase database) : ILeaseStore
{
    public Task<IReadOnlyList<Lease>> LoadLeasesAsync(CancellationToken cancellationToken) =>
        database.ExecuteAsync<IReadOnlyList<Lease>>(async (c, ct) =>
        {
            await using var command = c.CreateCommand();
            command.CommandText = "SELECT mac, address, expires_at, host_name FROM leases";
            await using var reader = await command.ExecuteReaderAsync(ct);
            var leases = new List<Lease>();
            while (await reader.ReadAsync(ct))
                leases.Add(Read(reader));

            return leases;
        }, cancellationToken);

    public Task<Lease?> FindLeaseAsync(string mac, CancellationToken cancellationToken) =>
        database.ExecuteAsync<Lease?>(async (c, ct) =>
        {
            await using var command = c.CreateCommand();
            command.CommandText = "SELECT mac, address, expires_at, host_name FROM leases WHERE mac = $mac";
            command.Parameters.AddWithValue("$mac", mac);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? Read(reader) : null;
        }, cancellationToken);

    private static Lease Read(Microsoft.Data.Sqlite.SqliteDataReader reader) =>
        new(reader.GetString(0), IPAddress.Parse(reader.GetString(1)), DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture), reader.IsDBNull(3) ? null : reader.GetString(3));

    public Task SaveLeaseAsync(Lease lease, CancellationToken cancellationToken) =>
        database.ExecuteAsync(async (c, ct) =>
        {
            await using var command = c.CreateCommand();
            command.CommandText = """
                INSERT INTO leases (mac, address, expires_at, host_name) VALUES ($mac, $address, $expires, $host)
                ON CONFLICT (mac) DO UPDATE SET address = excluded.address, expires_at = excluded.expires_at, host_name = excluded.host_name
                """;
            command.Parameters.AddWithValue("$mac", lease.Mac);
            command.Parameters.AddWithValue("$address", lease.Address.ToString());
            command.Parameters.AddWithValue("$expires", lease.ExpiresAt.ToString("O", CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$host", (object?)lease.HostName ?? DBNull.Value);
            // Another MAC's old, expired lease on the same address is superseded.
            await command.ExecuteNonQueryAsync(ct);
            command.Parameters.Clear();
            command.CommandText = "DELETE FROM leases WHERE address = $address AND mac <> $mac";
            command.Parameters.AddWithValue("$mac", lease.Mac);
            command.Parameters.AddWithValue("$address", lease.Address.ToString());
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);
}
