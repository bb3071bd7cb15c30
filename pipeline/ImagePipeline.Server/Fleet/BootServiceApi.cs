using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ImagePipeline.Server.Fleet;

/// <summary>The boot service's operator API (/api/v1) from outside: machines, their history, and setting what they should run.</summary>
public sealed class BootServiceApi(HttpClient http, Uri baseUrl, string? adminToken)
{
    /// <summary>The boot service the server was started with (--boot-service), or null when none was given.</summary>
    public static BootServiceApi? Configured(ServerOptions options, IHttpClientFactory clients) =>
        options.BootServiceUrl is null ? null : new BootServiceApi(clients.CreateClient("bootsvc"), options.BootServiceUrl, options.BootServiceToken);

    public async Task<IReadOnlyList<FleetMachine>> ListAsync(CancellationToken cancellationToken)
    {
        var list = JsonNode.Parse(await GetStringAsync("api/v1/machines", "listing machines", cancellationToken)) as JsonArray ?? [];
        return [.. list.OfType<JsonObject>().Select(Read)];
    }

    /// <summary>Every call carries the admin token: the boot service's operator API, reads included, is not anonymous.</summary>
    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(baseUrl, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        return request;
    }

    private async Task<string> GetStringAsync(string path, string what, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, path);
        using var response = await http.SendAsync(request, cancellationToken);
        await EnsureAsync(response, what, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    public async Task<FleetMachine?> GetAsync(string mac, CancellationToken cancellationToken) =>
        (await ViewAsync(mac, cancellationToken))?["machine"] is JsonObject machine ? Read(machine) : null;

    /// <summary>The machine and the hardware its agent reported (null before it registered), in one request; null when the boot service does not know it.</summary>
    public async Task<(FleetMachine Machine, FleetFacts? Facts)?> DetailAsync(string mac, CancellationToken cancellationToken) =>
        (await ViewAsync(mac, cancellationToken))?["machine"] is JsonObject machine ? (Read(machine), FleetFacts.From(machine["facts"])) : null;

    /// <summary>Bytes the machine's agent reports written so far, or null when it is not writing.</summary>
    public async Task<long?> ProgressAsync(string mac, CancellationToken cancellationToken) =>
        (await ViewAsync(mac, cancellationToken))?["progress"]?["bytesDone"]?.GetValue<long>();

    /// <summary>GET /api/v1/machines/MAC: the machine and its deploy progress, or null when the boot service does not know it (yet).</summary>
    private async Task<JsonNode?> ViewAsync(string mac, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, $"api/v1/machines/{mac}");
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return null;
        await EnsureAsync(response, $"GET machine {mac}", cancellationToken);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
    }

    public async Task<IReadOnlyList<FleetEvent>> EventsAsync(string mac, CancellationToken cancellationToken)
    {
        var list = JsonNode.Parse(await GetStringAsync($"api/v1/machines/{mac}/events", $"the events of {mac}", cancellationToken)) as JsonArray ?? [];
        return [.. list.OfType<JsonObject>().Select(e => new FleetEvent(
            DateTimeOffset.Parse(e["at"]!.GetValue<string>(), CultureInfo.InvariantCulture), e["kind"]!.GetValue<string>(), e["detail"]?.GetValue<string>() ?? ""))];
    }

    /// <summary>How the machine's deployment of <paramref name="imageId"/> begun at <paramref name="since"/> ended (<see cref="DeploymentEnd.Of"/>), or null while it is on its way.</summary>
    public async Task<DeploymentEnd?> DeploymentEndAsync(string mac, string imageId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var events = await EventsAsync(mac, cancellationToken);
        return DeploymentEnd.Of(events, (await GetAsync(mac, cancellationToken))?.CurrentImage, imageId, since);
    }

    public async Task SetDesiredImageAsync(string mac, string imageId, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Put, $"api/v1/machines/{mac}/desired-image");
        request.Content = new StringContent(new JsonObject { ["imageId"] = imageId }.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request, cancellationToken);
        await EnsureAsync(response, $"setting the desired image of {mac}", cancellationToken);
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var hint = response.StatusCode == System.Net.HttpStatusCode.Unauthorized ? " (the boot service's admin token is wrong or unset)" : "";
        throw new HttpRequestException($"{what}: the boot service answered {(int)response.StatusCode} {response.ReasonPhrase} {body}{hint}".Trim(), null, response.StatusCode);
    }

    private static FleetMachine Read(JsonObject m) => new(
        m["mac"]!.GetValue<string>(),
        m["state"]!.GetValue<string>(),
        m["desiredImage"]?.GetValue<string>(),
        m["currentImage"]?.GetValue<string>(),
        m["address"]?.GetValue<string>(),
        m["firmware"]?.GetValue<string>(),
        m["lastError"]?.GetValue<string>(),
        DateTimeOffset.Parse(m["updatedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture));
}
