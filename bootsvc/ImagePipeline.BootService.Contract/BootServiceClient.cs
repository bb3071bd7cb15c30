using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization.Metadata;

namespace ImagePipeline.BootService.Contract;

/// <summary>
/// The boot service's operator API (<c>/api/v1</c>) from outside, typed: the server's rollouts and
/// pages, the lab and the CLI all go through it. Every call carries the admin token: the operator
/// API, reads included, is not anonymous. A refusal is an <see cref="HttpRequestException"/>
/// saying what was asked, what the boot service answered, and (on 401) what to fix.
/// </summary>
public sealed class BootServiceClient(HttpClient http, Uri baseUrl, string? adminToken)
{
    public async Task<IReadOnlyList<MachineRecord>> ListAsync(CancellationToken cancellationToken) =>
        await GetAsync("api/v1/machines", "listing machines", BootServiceJson.Default.IReadOnlyListMachineRecord, cancellationToken) ?? [];

    /// <summary>The machine and its deploy progress, or null when the boot service does not know it (yet).</summary>
    public Task<MachineDetail?> DetailAsync(string mac, CancellationToken cancellationToken) =>
        GetAsync($"api/v1/machines/{mac}", $"GET machine {mac}", BootServiceJson.Default.MachineDetail, cancellationToken, notFoundIsNull: true);

    /// <summary>The machine, or null when the boot service does not know it (yet).</summary>
    public async Task<MachineRecord?> GetAsync(string mac, CancellationToken cancellationToken) => (await DetailAsync(mac, cancellationToken))?.Machine;

    /// <summary>The machine's history, oldest first.</summary>
    public async Task<IReadOnlyList<MachineEvent>> EventsAsync(string mac, CancellationToken cancellationToken) =>
        await GetAsync($"api/v1/machines/{mac}/events", $"the events of {mac}", BootServiceJson.Default.IReadOnlyListMachineEvent, cancellationToken) ?? [];

    /// <summary>
    /// The events after <paramref name="cursor"/> (at most <paramref name="limit"/>); with
    /// <paramref name="wait"/>, an empty answer comes only after that long without an event.
    /// </summary>
    /// <exception cref="EventCursorLostException">the boot service no longer holds the events after the cursor: resync from <see cref="SnapshotAsync"/></exception>
    public async Task<EventFeedPage> EventsAfterAsync(long cursor, int limit, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, FormattableString.Invariant($"api/v1/events?after={cursor}&limit={limit}&wait={(int)wait.TotalSeconds}"));
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Gone)
            throw new EventCursorLostException(await response.Content.ReadAsStringAsync(cancellationToken));
        await EnsureAsync(response, FormattableString.Invariant($"reading events after {cursor}"), cancellationToken);
        return await response.Content.ReadFromJsonAsync(BootServiceJson.Default.EventFeedPage, cancellationToken)
            ?? throw new HttpRequestException($"reading events after {cursor}: the boot service answered an empty body");
    }

    /// <summary>Every machine as it is and the event cursor to follow from.</summary>
    public async Task<FleetSnapshot> SnapshotAsync(CancellationToken cancellationToken) =>
        await GetAsync("api/v1/events/snapshot", "reading the fleet snapshot", BootServiceJson.Default.FleetSnapshot, cancellationToken)
            ?? throw new HttpRequestException("reading the fleet snapshot: the boot service answered an empty body");

    /// <param name="mode">how it gets there (<see cref="DeployModes"/>); null: reimage</param>
    /// <param name="health">for an image without our agent: the probes it is known healthy by</param>
    public async Task SetDesiredImageAsync(string mac, string imageId, CancellationToken cancellationToken, string? mode = null, IReadOnlyList<HealthProbe>? health = null)
    {
        using var request = Request(HttpMethod.Put, $"api/v1/machines/{mac}/desired-image");
        request.Content = JsonContent.Create(new DesiredImageRequest(imageId, mode, health), BootServiceJson.Default.DesiredImageRequest);
        using var response = await http.SendAsync(request, cancellationToken);
        await EnsureAsync(response, $"setting the desired image of {mac}", cancellationToken);
    }

    /// <summary>The desired images of many machines in one request and one transaction: all set, or none (an <see cref="HttpRequestException"/> saying which entry was refused).</summary>
    public async Task<IReadOnlyList<MachineRecord>> SetDesiredImagesAsync(IReadOnlyList<DesiredImageEntry> machines, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Put, "api/v1/desired-images");
        request.Content = JsonContent.Create(new DesiredImagesRequest(machines), BootServiceJson.Default.DesiredImagesRequest);
        using var response = await http.SendAsync(request, cancellationToken);
        await EnsureAsync(response, $"setting the desired images of {machines.Count} machine(s)", cancellationToken);
        return await response.Content.ReadFromJsonAsync(BootServiceJson.Default.IReadOnlyListMachineRecord, cancellationToken) ?? [];
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(baseUrl, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        return request;
    }

    private async Task<T?> GetAsync<T>(string path, string what, JsonTypeInfo<T> shape, CancellationToken cancellationToken, bool notFoundIsNull = false)
    {
        using var request = Request(HttpMethod.Get, path);
        using var response = await http.SendAsync(request, cancellationToken);
        if (notFoundIsNull && response.StatusCode == HttpStatusCode.NotFound)
            return default;
        await EnsureAsync(response, what, cancellationToken);
        return await response.Content.ReadFromJsonAsync(shape, cancellationToken);
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var hint = response.StatusCode == HttpStatusCode.Unauthorized ? " (the boot service's admin token is wrong or unset)" : "";
        throw new HttpRequestException($"{what}: the boot service answered {(int)response.StatusCode} {response.ReasonPhrase} {body}{hint}".Trim(), null, response.StatusCode);
    }
}
