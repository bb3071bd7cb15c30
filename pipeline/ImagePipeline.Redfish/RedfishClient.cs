using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImagePipeline.Redfish;

/// <summary>
/// The project's Redfish client (DMTF DSP0266): the only way the rollout controller touches a
/// machine's power. It speaks to the lab's BMC façade and to real BMCs alike: it follows the
/// links a service gives (the Systems collection, each system's Reset action target) instead of
/// building URIs, sends HTTP Basic credentials, and turns Redfish error bodies into
/// <see cref="RedfishException"/>s that carry the BMC's message.
/// </summary>
public sealed class RedfishClient
{
    private readonly HttpClient http;
    private readonly Uri service;
    private readonly AuthenticationHeaderValue? authorization;

    /// <param name="http">for a BMC with a self-signed certificate, give an HttpClient whose handler accepts it</param>
    /// <param name="service">the BMC's address, for example https://10.0.0.5 (the /redfish/v1 root is found from there)</param>
    public RedfishClient(HttpClient http, Uri service, NetworkCredential? credentials)
    {
        this.http = http;
        this.service = service;
        if (credentials is not null)
            authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.UserName}:{credentials.Password}")));
    }

    /// <summary>The @odata.id of every ComputerSystem the service lists.</summary>
    public async Task<IReadOnlyList<string>> ListSystemsAsync(CancellationToken cancellationToken)
    {
        var root = await GetAsync("/redfish/v1/", cancellationToken);
        var systems = root["Systems"]?["@odata.id"]?.GetValue<string>()
            ?? throw new RedfishException($"{service} has no Systems collection in its service root; is it a Redfish service?");
        var collection = await GetAsync(systems, cancellationToken);
        return [.. (collection["Members"] as JsonArray ?? []).Select(m => m?["@odata.id"]?.GetValue<string>()).OfType<string>()];
    }

    public async Task<RedfishSystem> GetSystemAsync(string path, CancellationToken cancellationToken)
    {
        var system = await GetAsync(path, cancellationToken);
        var boot = system["Boot"] as JsonObject;
        var reset = system["Actions"]?["#ComputerSystem.Reset"] as JsonObject;
        return new RedfishSystem(
            system["@odata.id"]?.GetValue<string>() ?? path,
            system["Id"]?.GetValue<string>() ?? path.TrimEnd('/').Split('/')[^1],
            system["Name"]?.GetValue<string>(),
            system["PowerState"]?.GetValue<string>(),
            boot?["BootSourceOverrideTarget"]?.GetValue<string>(),
            boot?["BootSourceOverrideEnabled"]?.GetValue<string>(),
            reset?["target"]?.GetValue<string>() ?? $"{path.TrimEnd('/')}/Actions/ComputerSystem.Reset",
            [.. (reset?["ResetType@Redfish.AllowableValues"] as JsonArray ?? []).Select(v => v?.GetValue<string>()).OfType<string>()]);
    }

    /// <summary>The MAC addresses of a system's NICs (lower case, colon-separated), to match BMCs to the machines the boot service knows.</summary>
    public async Task<IReadOnlyList<string>> GetMacAddressesAsync(string systemPath, CancellationToken cancellationToken)
    {
        var system = await GetAsync(systemPath, cancellationToken);
        if (system["EthernetInterfaces"]?["@odata.id"]?.GetValue<string>() is not { } interfaces)
            return [];
        var collection = await GetAsync(interfaces, cancellationToken);
        var macs = new List<string>();
        foreach (var member in (collection["Members"] as JsonArray ?? []).Select(m => m?["@odata.id"]?.GetValue<string>()).OfType<string>())
        {
            var nic = await GetAsync(member, cancellationToken);
            if ((nic["MACAddress"] ?? nic["PermanentMACAddress"])?.GetValue<string>() is { Length: > 0 } mac)
                macs.Add(mac.ToLowerInvariant().Replace('-', ':'));
        }

        return macs;
    }

    /// <summary>The system whose NIC has this MAC, or null.</summary>
    public async Task<RedfishSystem?> FindByMacAsync(string mac, CancellationToken cancellationToken)
    {
        var wanted = mac.ToLowerInvariant().Replace('-', ':');
        foreach (var path in await ListSystemsAsync(cancellationToken))
        {
            if ((await GetMacAddressesAsync(path, cancellationToken)).Contains(wanted))
                return await GetSystemAsync(path, cancellationToken);
        }

        return null;
    }

    /// <summary>Sets where the system boots next (target Pxe, Hdd or None; enabled Once, Continuous or Disabled).</summary>
    public Task SetBootOverrideAsync(string systemPath, string target, string enabled, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Patch, systemPath, new JsonObject
        {
            ["Boot"] = new JsonObject { ["BootSourceOverrideTarget"] = target, ["BootSourceOverrideEnabled"] = enabled },
        }, cancellationToken);

    /// <summary>Runs ComputerSystem.Reset (On, ForceOff, GracefulShutdown, ForceRestart, PowerCycle, ...) at the target the system names.</summary>
    public async Task ResetAsync(RedfishSystem system, string resetType, CancellationToken cancellationToken)
    {
        if (system.AllowedResetTypes.Count > 0 && !system.AllowedResetTypes.Contains(resetType))
            throw new RedfishException($"{system.Path} does not offer ResetType {resetType}; it offers {string.Join(", ", system.AllowedResetTypes)}");
        await SendAsync(HttpMethod.Post, system.ResetTarget, new JsonObject { ["ResetType"] = resetType }, cancellationToken);
    }

    /// <summary>Power-cycles a system into a one-time network boot: PXE once, then ForceRestart if it is on, On if it is off.</summary>
    public async Task NetbootOnceAsync(string systemPath, CancellationToken cancellationToken)
    {
        await SetBootOverrideAsync(systemPath, "Pxe", "Once", cancellationToken);
        var system = await GetSystemAsync(systemPath, cancellationToken);
        await ResetAsync(system, system.IsOn ? "ForceRestart" : "On", cancellationToken);
    }

    private async Task<JsonObject> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(service, path));
        using var response = await SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw new RedfishException($"GET {path} on {service} did not answer a JSON object");
        }
        catch (JsonException e)
        {
            throw new RedfishException($"GET {path} on {service} did not answer JSON: {e.Message}", e);
        }
    }

    private async Task SendAsync(HttpMethod method, string path, JsonObject body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(service, path))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using var response = await SendAsync(request, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = authorization;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Add("OData-Version", "4.0");
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new RedfishException($"{request.Method} {request.RequestUri}: the BMC could not be reached: {e.Message}", e);
        }

        if (response.IsSuccessStatusCode)
            return response;
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var (message, id) = ParseError(text);
            var hint = response.StatusCode == HttpStatusCode.Unauthorized ? " (check the BMC user name and password)" : "";
            throw new RedfishException($"{request.Method} {request.RequestUri} answered {(int)response.StatusCode} {response.ReasonPhrase}: {message ?? text}{hint}", response.StatusCode, id);
        }
    }

    /// <summary>DSP0266 §9.6 error body: the first extended message is the most specific.</summary>
    private static (string? Message, string? MessageId) ParseError(string text)
    {
        try
        {
            var error = JsonNode.Parse(text)?["error"];
            var info = (error?["@Message.ExtendedInfo"] as JsonArray)?.FirstOrDefault();
            return ((info?["Message"] ?? error?["message"])?.GetValue<string>(), info?["MessageId"]?.GetValue<string>());
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
