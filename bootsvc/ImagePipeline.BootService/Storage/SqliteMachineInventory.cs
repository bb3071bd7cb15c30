using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.BootService.Contract;
using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Inventory;
using ImagePipeline.BootService.Network;
using Microsoft.Data.Sqlite;

namespace ImagePipeline.BootService.Storage;

/// <summary>
/// The machine inventory in the boot database. Every change is one transaction that writes the
/// machine and its event together, so the history never disagrees with the state. Agent tokens
/// are stored only as SHA-256 hashes. The events are one log numbered without reuse
/// (AUTOINCREMENT) and written one transaction at a time through the database's single
/// connection, so ids are committed in order: a reader after a cursor never sees a later id
/// before an earlier one. Retention keeps the newest <paramref name="eventRetention"/> events.
/// </summary>
public sealed class SqliteMachineInventory(BootDatabase database, TimeProvider clock, long eventRetention = SqliteMachineInventory.DefaultEventRetention)
    : IMachineInventory, IBootSightings
{
    /// <summary>Events kept: at a few dozen per deployment, hundreds of deployments of a 10,000-machine fleet.</summary>
    public const long DefaultEventRetention = 1_000_000;
    private const string Columns = "id, mac, state, address, firmware, desired_image, current_image, facts, deploy_attempts, last_error, created_at, updated_at, last_deploy_method, last_deploy_bytes, desired_mode, slot, desired_health";
    private const string EventColumns = "e.id, e.machine_id, e.at, e.kind, e.from_state, e.to_state, e.detail, m.mac";

    private TaskCompletionSource written = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Where retention last cut the log (read from the database at the first event written).</summary>
    private long? prunedThrough;

    public Task NextEventWritten => Volatile.Read(ref written).Task;

    public Task<MachineRecord?> GetByMacAsync(string mac, CancellationToken cancellationToken) =>
        database.ExecuteAsync((c, ct) => QueryOneAsync(c, "mac = $key", Canonical(mac), ct), cancellationToken);

    public Task<MachineRecord?> GetByAddressAsync(IPAddress address, CancellationToken cancellationToken) =>
        database.ExecuteAsync((c, ct) => QueryOneAsync(c, "address = $key", address.ToString(), ct), cancellationToken);

    public Task<IReadOnlyList<MachineRecord>> ListAsync(CancellationToken cancellationToken) =>
        database.ExecuteAsync<IReadOnlyList<MachineRecord>>(async (c, ct) =>
        {
            await using var command = c.CreateCommand();
            command.CommandText = $"SELECT {Columns} FROM machines ORDER BY mac";
            return await ReadMachinesAsync(command, ct);
        }, cancellationToken);

    public Task<IReadOnlyList<MachineRecord>> AwaitingProbesAsync(CancellationToken cancellationToken) =>
        database.ExecuteAsync<IReadOnlyList<MachineRecord>>(async (c, ct) =>
        {
            await using var command = c.CreateCommand();
            command.CommandText = $"SELECT {Columns} FROM machines WHERE state = $state AND desired_health IS NOT NULL AND current_image = desired_image ORDER BY mac";
            command.Parameters.AddWithValue("$state", nameof(MachineState.Booting));
            return await ReadMachinesAsync(command, ct);
        }, cancellationToken);

    public Task<MachineRecord> DiscoverAsync(string mac, CancellationToken cancellationToken)
    {
        mac = Canonical(mac);
        return database.ExecuteAsync(async (c, ct) =>
        {
            if (await QueryOneAsync(c, "mac = $key", mac, ct) is { } existing)
                return existing;
            await using var transaction = await c.BeginTransactionAsync(ct);
            var machine = await InsertAsync(c, mac, ct);
            await transaction.CommitAsync(ct);
            return machine;
        }, cancellationToken);
    }

    /// <summary>A new machine in <see cref="MachineState.Discovered"/>, with its event; the caller holds the transaction.</summary>
    private async Task<MachineRecord> InsertAsync(SqliteConnection c, string mac, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var machine = new MachineRecord { Id = Guid.CreateVersion7().ToString("N"), Mac = mac, State = MachineState.Discovered, CreatedAt = now, UpdatedAt = now };
        await using (var command = c.CreateCommand())
        {
            command.CommandText = "INSERT INTO machines (id, mac, state, created_at, updated_at) VALUES ($id, $mac, $state, $now, $now)";
            command.Parameters.AddWithValue("$id", machine.Id);
            command.Parameters.AddWithValue("$mac", mac);
            command.Parameters.AddWithValue("$state", machine.State.ToString());
            command.Parameters.AddWithValue("$now", Format(now));
            await command.ExecuteNonQueryAsync(ct);
        }

        await AddEventAsync(c, machine.Id, MachineEventKind.Of(MachineState.Discovered), null, MachineState.Discovered, $"first network boot from {mac}", ct);
        return machine;
    }

    public Task<MachineRecord> TransitionAsync(string mac, MachineState target, string reason, Func<MachineRecord, MachineRecord>? change, CancellationToken cancellationToken) =>
        ChangeAsync(mac, machine =>
        {
            if (!MachineLifecycle.CanMove(machine.State, target))
                throw new InvalidTransitionException(machine.State, target);
            var changed = (change ?? (m => m))(machine) with { State = target };
            return (changed, "state", reason);
        }, cancellationToken);

    public Task<MachineRecord> UpdateAsync(string mac, string eventKind, string detail, Func<MachineRecord, MachineRecord> change, CancellationToken cancellationToken) =>
        ChangeAsync(mac, machine => (change(machine) with { State = machine.State }, eventKind, detail), cancellationToken);

    public Task<MachineRecord> SetDesiredImageAsync(string mac, string imageId, CancellationToken cancellationToken, string? mode = null, IReadOnlyList<HealthProbe>? health = null) =>
        UpdateAsync(mac, MachineEventKind.DesiredImage, DesiredImageDetail(imageId, mode, health), m => WithDesiredImage(m, imageId, mode, health), cancellationToken);

    public Task<IReadOnlyList<MachineRecord>> SetDesiredImagesAsync(IReadOnlyList<DesiredImageEntry> machines, CancellationToken cancellationToken)
    {
        var entries = machines.Select(m => m with { Mac = Canonical(m.Mac) }).ToList();
        return database.ExecuteAsync<IReadOnlyList<MachineRecord>>(async (c, ct) =>
        {
            // One transaction: a wave's machines are all told, or none is.
            await using var transaction = await c.BeginTransactionAsync(ct);
            var changed = new List<MachineRecord>(entries.Count);
            foreach (var entry in entries)
            {
                var machine = await QueryOneAsync(c, "mac = $key", entry.Mac, ct) ?? await InsertAsync(c, entry.Mac, ct);
                changed.Add(await ChangeAsync(c, machine, WithDesiredImage(machine, entry.ImageId, entry.Mode, entry.Health), MachineEventKind.DesiredImage,
                    DesiredImageDetail(entry.ImageId, entry.Mode, entry.Health), ct));
            }

            await transaction.CommitAsync(ct);
            return changed;
        }, cancellationToken);
    }

    private static MachineRecord WithDesiredImage(MachineRecord machine, string imageId, string? mode, IReadOnlyList<HealthProbe>? health) =>
        machine with { DesiredImage = imageId, DesiredMode = mode == DeployModes.InPlace ? mode : null, DesiredHealth = health is { Count: > 0 } ? health : null, DeployAttempts = 0 };

    private static string DesiredImageDetail(string imageId, string? mode, IReadOnlyList<HealthProbe>? health) =>
        $"desired image set to {imageId}{(mode == DeployModes.InPlace ? ", in place" : "")}{(health is { Count: > 0 } ? $", healthy by probes from outside: {string.Join(", ", health)}" : "")}";

    public Task RecordAddressAsync(string mac, IPAddress? address, string? firmware, CancellationToken cancellationToken) =>
        RecordAsync(mac, address, firmware, netboot: null, cancellationToken);

    Task IBootSightings.RecordAsync(string mac, IPAddress? address, BootClient client, bool acknowledged, CancellationToken cancellationToken) =>
        // Unlike lease renewals, a network boot's DHCPACK happens once per boot: it is history (when a
        // machine started to netboot), and where a deployment's time goes starts here.
        RecordAsync(mac, address, client.Architecture is null ? null : client.IsUefi ? "uefi" : "bios",
            acknowledged && client.IsNetworkBoot ? $"{client.Kind} DHCP acknowledged{(address is null ? "" : $": {address}")}" : null, cancellationToken);

    /// <summary>
    /// The address (and firmware) of a known machine, and with <paramref name="netboot"/> a netboot
    /// event: one statement each, in one visit to the database — the DHCP server waits for it
    /// before it takes the next request.
    /// </summary>
    private Task<int> RecordAsync(string mac, IPAddress? address, string? firmware, string? netboot, CancellationToken cancellationToken) =>
        database.ExecuteAsync(async (c, ct) =>
        {
            // No event for the address itself: DHCP renews often; the address is current state, not history.
            await using var command = c.CreateCommand();
            command.CommandText = "UPDATE machines SET address = coalesce($address, address), firmware = coalesce($firmware, firmware) WHERE mac = $mac RETURNING id";
            command.Parameters.AddWithValue("$mac", Canonical(mac));
            command.Parameters.AddWithValue("$address", (object?)address?.ToString() ?? DBNull.Value);
            command.Parameters.AddWithValue("$firmware", (object?)firmware ?? DBNull.Value);
            if (await command.ExecuteScalarAsync(ct) is string id && netboot is not null)
                await AddEventAsync(c, id, MachineEventKind.Netboot, null, null, netboot, ct);
            return 0;
        }, cancellationToken);

    public Task<string> IssueTokenAsync(string mac, IPAddress? boundTo, CancellationToken cancellationToken)
    {
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return database.ExecuteAsync(async (c, ct) =>
        {
            await using var command = c.CreateCommand();
            command.CommandText = "UPDATE machines SET token_hash = $hash, token_address = $address WHERE mac = $mac";
            command.Parameters.AddWithValue("$mac", Canonical(mac));
            command.Parameters.AddWithValue("$hash", Hash(token));
            command.Parameters.AddWithValue("$address", (object?)boundTo?.ToString() ?? DBNull.Value);
            if (await command.ExecuteNonQueryAsync(ct) != 1)
                throw new KeyNotFoundException($"no machine with MAC {mac}");
            return token;
        }, cancellationToken);
    }

    public Task<MachineRecord?> AuthenticateAsync(string token, IPAddress? from, CancellationToken cancellationToken) =>
        database.ExecuteAsync(async (c, ct) =>
        {
            // The hash is the lookup key (a token is 256 random bits: nothing to learn from timing); the address must match where it is bound.
            return await QueryOneAsync(c, "token_hash = $key AND (token_address IS NULL OR token_address = $from)", Hash(token), ct, ("$from", from?.ToString() ?? ""));
        }, cancellationToken);

    public Task<IReadOnlyList<MachineEvent>> EventsAsync(string mac, CancellationToken cancellationToken) =>
        database.ExecuteAsync<IReadOnlyList<MachineEvent>>(async (c, ct) =>
        {
            await using var command = c.CreateCommand();
            command.CommandText = $"SELECT {EventColumns} FROM machine_events e JOIN machines m ON m.id = e.machine_id WHERE m.mac = $mac ORDER BY e.id";
            command.Parameters.AddWithValue("$mac", Canonical(mac));
            return await ReadEventsAsync(command, ct);
        }, cancellationToken);

    public Task<EventFeedPage> EventsAfterAsync(long cursor, int limit, CancellationToken cancellationToken) =>
        database.ExecuteAsync(async (c, ct) =>
        {
            var last = await LastEventIdAsync(c, ct);
            if (cursor > last)
            {
                throw new EventCursorLostException($"this boot service's event log ends at {last}, before cursor {cursor}: its database is not the one the cursor came from; "
                    + "read GET /api/v1/events/snapshot and follow from its cursor");
            }

            var pruned = await PrunedThroughAsync(c, ct);
            if (cursor < pruned)
            {
                throw new EventCursorLostException($"the events after {cursor} are no longer kept (the boot service keeps the newest {eventRetention}, from {pruned + 1} now): "
                    + "read GET /api/v1/events/snapshot and follow from its cursor");
            }

            await using var command = c.CreateCommand();
            command.CommandText = $"SELECT {EventColumns} FROM machine_events e JOIN machines m ON m.id = e.machine_id WHERE e.id > $cursor ORDER BY e.id LIMIT $limit";
            command.Parameters.AddWithValue("$cursor", cursor);
            command.Parameters.AddWithValue("$limit", limit);
            var events = await ReadEventsAsync(command, ct);
            if (events.Count == 0)
                return new EventFeedPage(events, cursor, []);
            await using var machines = c.CreateCommand();
            var ids = events.Select(e => e.MachineId).Distinct().ToList();
            machines.CommandText = $"SELECT {Columns} FROM machines WHERE id IN ({string.Join(", ", ids.Select((_, i) => $"$m{i}"))}) ORDER BY mac";
            for (var i = 0; i < ids.Count; i++)
                machines.Parameters.AddWithValue($"$m{i}", ids[i]);
            return new EventFeedPage(events, events[^1].Id, await ReadMachinesAsync(machines, ct));
        }, cancellationToken);

    public Task<FleetSnapshot> SnapshotAsync(CancellationToken cancellationToken) =>
        database.ExecuteAsync(async (c, ct) =>
        {
            // One visit to the database: no event falls between the cursor and the machines.
            var cursor = await LastEventIdAsync(c, ct);
            await using var command = c.CreateCommand();
            command.CommandText = $"SELECT {Columns} FROM machines ORDER BY mac";
            var machines = await ReadMachinesAsync(command, ct);
            await using var ends = c.CreateCommand();
            ends.CommandText = $"""
                SELECT {EventColumns} FROM machine_events e JOIN machines m ON m.id = e.machine_id
                WHERE e.id IN (SELECT max(id) FROM machine_events WHERE to_state IN ('{MachineState.Healthy}', '{MachineState.Failed}') GROUP BY machine_id)
                ORDER BY e.id
                """;
            return new FleetSnapshot(cursor, machines, await ReadEventsAsync(ends, ct));
        }, cancellationToken);

    /// <summary>The highest event id ever written (AUTOINCREMENT's counter: kept when retention deletes), 0 before the first.</summary>
    private static async Task<long> LastEventIdAsync(SqliteConnection c, CancellationToken ct)
    {
        await using var command = c.CreateCommand();
        command.CommandText = "SELECT seq FROM sqlite_sequence WHERE name = 'machine_events'";
        return await command.ExecuteScalarAsync(ct) is long last ? last : 0;
    }

    private static async Task<long> PrunedThroughAsync(SqliteConnection c, CancellationToken ct)
    {
        await using var command = c.CreateCommand();
        command.CommandText = "SELECT max(pruned_through) FROM event_retention";
        return await command.ExecuteScalarAsync(ct) is long pruned ? pruned : 0;
    }

    private static async Task<IReadOnlyList<MachineEvent>> ReadEventsAsync(SqliteCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var events = new List<MachineEvent>();
        while (await reader.ReadAsync(ct))
        {
            events.Add(new MachineEvent(reader.GetInt64(0), reader.GetString(1), Parse(reader.GetString(2)), reader.GetString(3),
                reader.IsDBNull(4) ? null : Enum.Parse<MachineState>(reader.GetString(4)),
                reader.IsDBNull(5) ? null : Enum.Parse<MachineState>(reader.GetString(5)), reader.GetString(6), reader.GetString(7)));
        }

        return events;
    }

    private Task<MachineRecord> ChangeAsync(string mac, Func<MachineRecord, (MachineRecord Changed, string Kind, string Detail)> change, CancellationToken cancellationToken)
    {
        mac = Canonical(mac);
        return database.ExecuteAsync(async (c, ct) =>
        {
            await using var transaction = await c.BeginTransactionAsync(ct);
            var machine = await QueryOneAsync(c, "mac = $key", mac, ct) ?? throw new KeyNotFoundException($"no machine with MAC {mac}; it appears once it network-boots with discovery on");
            var (changed, kind, detail) = change(machine);
            changed = await ChangeAsync(c, machine, changed, kind, detail, ct);
            await transaction.CommitAsync(ct);
            return changed;
        }, cancellationToken);
    }

    /// <summary>Writes <paramref name="changed"/> over <paramref name="machine"/> with its event (kind "state": a state change); the caller holds the transaction.</summary>
    private async Task<MachineRecord> ChangeAsync(SqliteConnection c, MachineRecord machine, MachineRecord changed, string kind, string detail, CancellationToken ct)
    {
        changed = changed with { UpdatedAt = clock.GetUtcNow() };
        await using (var command = c.CreateCommand())
        {
            command.CommandText = """
                UPDATE machines SET state = $state, address = $address, firmware = $firmware, desired_image = $desired,
                    current_image = $current, facts = $facts, deploy_attempts = $attempts, last_error = $error, updated_at = $updated,
                    last_deploy_method = $method, last_deploy_bytes = $bytes, desired_mode = $mode, slot = $slot, desired_health = $health
                WHERE id = $id
                """;
            command.Parameters.AddWithValue("$id", changed.Id);
            command.Parameters.AddWithValue("$state", changed.State.ToString());
            command.Parameters.AddWithValue("$address", (object?)changed.Address ?? DBNull.Value);
            command.Parameters.AddWithValue("$firmware", (object?)changed.Firmware ?? DBNull.Value);
            command.Parameters.AddWithValue("$desired", (object?)changed.DesiredImage ?? DBNull.Value);
            command.Parameters.AddWithValue("$current", (object?)changed.CurrentImage ?? DBNull.Value);
            command.Parameters.AddWithValue("$facts", changed.Facts is null ? DBNull.Value : JsonSerializer.Serialize(changed.Facts, ProtocolJson.Default.HardwareFacts));
            command.Parameters.AddWithValue("$attempts", changed.DeployAttempts);
            command.Parameters.AddWithValue("$error", (object?)changed.LastError ?? DBNull.Value);
            command.Parameters.AddWithValue("$updated", Format(changed.UpdatedAt));
            command.Parameters.AddWithValue("$method", (object?)changed.LastDeploy?.Method ?? DBNull.Value);
            command.Parameters.AddWithValue("$bytes", (object?)changed.LastDeploy?.BytesFetched ?? DBNull.Value);
            command.Parameters.AddWithValue("$mode", (object?)changed.DesiredMode ?? DBNull.Value);
            command.Parameters.AddWithValue("$slot", (object?)changed.Slot ?? DBNull.Value);
            command.Parameters.AddWithValue("$health", changed.DesiredHealth is null ? DBNull.Value : JsonSerializer.Serialize(changed.DesiredHealth, BootServiceJson.Default.IReadOnlyListHealthProbe));
            await command.ExecuteNonQueryAsync(ct);
        }

        var stateChanged = kind == "state";
        await AddEventAsync(c, machine.Id, stateChanged ? MachineEventKind.Of(changed.State) : kind,
            stateChanged ? machine.State : null, stateChanged ? changed.State : null, detail, ct);
        return changed;
    }

    private async Task AddEventAsync(SqliteConnection c, string machineId, string kind, MachineState? from, MachineState? to, string detail, CancellationToken ct)
    {
        await using var command = c.CreateCommand();
        command.CommandText = "INSERT INTO machine_events (machine_id, at, kind, from_state, to_state, detail) VALUES ($id, $at, $kind, $from, $to, $detail) RETURNING id";
        command.Parameters.AddWithValue("$id", machineId);
        command.Parameters.AddWithValue("$at", Format(clock.GetUtcNow()));
        command.Parameters.AddWithValue("$kind", kind);
        command.Parameters.AddWithValue("$from", (object?)from?.ToString() ?? DBNull.Value);
        command.Parameters.AddWithValue("$to", (object?)to?.ToString() ?? DBNull.Value);
        command.Parameters.AddWithValue("$detail", detail);
        var id = (long)(await command.ExecuteScalarAsync(ct))!;
        await RetainAsync(c, id, ct);
        // Waiting readers wake now and read through the same connection after this transaction: they see it committed.
        Interlocked.Exchange(ref written, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Deletes the events older than the newest <see cref="eventRetention"/>, a tenth of it at a time (not one row per event written).</summary>
    private async Task RetainAsync(SqliteConnection c, long newest, CancellationToken ct)
    {
        prunedThrough ??= await PrunedThroughAsync(c, ct);
        var keepFrom = newest - eventRetention + 1;
        if (keepFrom - 1 - prunedThrough.Value < Math.Max(1, eventRetention / 10))
            return;
        await using var command = c.CreateCommand();
        command.CommandText = """
            DELETE FROM machine_events WHERE id < $from;
            DELETE FROM event_retention;
            INSERT INTO event_retention (pruned_through) VALUES ($from - 1);
            """;
        command.Parameters.AddWithValue("$from", keepFrom);
        await command.ExecuteNonQueryAsync(ct);
        prunedThrough = keepFrom - 1;
    }

    private static async Task<MachineRecord?> QueryOneAsync(SqliteConnection c, string where, string key, CancellationToken ct, params (string Name, string Value)[] more)
    {
        await using var command = c.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM machines WHERE {where} LIMIT 1";
        command.Parameters.AddWithValue("$key", key);
        foreach (var (name, value) in more)
            command.Parameters.AddWithValue(name, value);
        var machines = await ReadMachinesAsync(command, ct);
        return machines.Count == 0 ? null : machines[0];
    }

    private static async Task<List<MachineRecord>> ReadMachinesAsync(SqliteCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var machines = new List<MachineRecord>();
        while (await reader.ReadAsync(ct))
        {
            machines.Add(new MachineRecord
            {
                Id = reader.GetString(0),
                Mac = reader.GetString(1),
                State = Enum.Parse<MachineState>(reader.GetString(2)),
                Address = reader.IsDBNull(3) ? null : reader.GetString(3),
                Firmware = reader.IsDBNull(4) ? null : reader.GetString(4),
                DesiredImage = reader.IsDBNull(5) ? null : reader.GetString(5),
                CurrentImage = reader.IsDBNull(6) ? null : reader.GetString(6),
                Facts = reader.IsDBNull(7) ? null : JsonSerializer.Deserialize(reader.GetString(7), ProtocolJson.Default.HardwareFacts),
                DeployAttempts = reader.GetInt32(8),
                LastError = reader.IsDBNull(9) ? null : reader.GetString(9),
                CreatedAt = Parse(reader.GetString(10)),
                UpdatedAt = Parse(reader.GetString(11)),
                LastDeploy = reader.IsDBNull(12) ? null : new LastDeploy(reader.GetString(12), reader.IsDBNull(13) ? 0 : reader.GetInt64(13)),
                DesiredMode = reader.IsDBNull(14) ? null : reader.GetString(14),
                Slot = reader.IsDBNull(15) ? null : reader.GetString(15),
                DesiredHealth = reader.IsDBNull(16) ? null : JsonSerializer.Deserialize(reader.GetString(16), BootServiceJson.Default.IReadOnlyListHealthProbe),
            });
        }

        return machines;
    }

    private static string Canonical(string mac) =>
        MacAddress.TryNormalize(mac, out var canonical) ? canonical : throw new ArgumentException($"'{mac}' is not a MAC address; write it as 52:54:00:12:34:56", nameof(mac));

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Format(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
}
