using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.BootService.Inventory;
using ImagePipeline.BootService.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.BootService.Tests.Security;

/// <summary>
/// Who may call what on the boot service, checked exhaustively: every endpoint it maps is in the
/// table (a new one fails this test until someone decides), and each is called anonymously, with
/// a machine's agent token and with the admin token, expecting 401 exactly where the table says.
/// </summary>
public sealed class EndpointAccessTests
{
    private const string Mac = "52:54:00:ac:00:01";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private enum Caller
    {
        /// <summary>Whatever netboots: iPXE and firmware take files and scripts without credentials.</summary>
        Anyone,
        /// <summary>The machine's agent, with the token of its deploy script (from its own address).</summary>
        Agent,
        /// <summary>The pipeline server or an operator: the admin token.</summary>
        Admin,
    }

    private static readonly Dictionary<string, Caller> Expected = new()
    {
        ["GET /boot/{mac}.ipxe"] = Caller.Anyone,
        ["GET /files/{**path}"] = Caller.Anyone,
        ["HEAD /files/{**path}"] = Caller.Anyone,
        ["GET /images/{id}/{file}"] = Caller.Agent,
        ["HEAD /images/{id}/{file}"] = Caller.Agent,
        ["POST /images/{id}/chunks"] = Caller.Agent,
        ["POST /agent/v1/register"] = Caller.Agent,
        ["POST /agent/v1/progress"] = Caller.Agent,
        ["POST /agent/v1/result"] = Caller.Agent,
        ["POST /agent/v1/health"] = Caller.Agent,
        ["GET /api/v1/machines"] = Caller.Admin,
        ["GET /api/v1/machines/{mac}"] = Caller.Admin,
        ["GET /api/v1/machines/{mac}/events"] = Caller.Admin,
        ["PUT /api/v1/machines/{mac}/desired-image"] = Caller.Admin,
        ["PUT /api/v1/desired-images"] = Caller.Admin,
        ["GET /api/v1/bootsvc/stats"] = Caller.Admin,
        ["GET /api/v1/events"] = Caller.Admin,
        ["GET /api/v1/events/snapshot"] = Caller.Admin,
    };

    [Fact]
    public async Task Every_endpoint_is_classified_and_refuses_whoever_the_table_does_not_name()
    {
        await using var service = await InProcessBootService.StartAsync();
        var inventory = service.Services.GetRequiredService<IMachineInventory>();
        await inventory.DiscoverAsync(Mac, Ct);
        var script = await service.Client.GetStringAsync($"/boot/{Mac}.ipxe", Ct);
        var agentToken = AgentTokens.In(script);
        var mapped = service.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["ANY"]).Select(m => $"{m} /{e.RoutePattern.RawText!.TrimStart('/')}"))
            .Order(StringComparer.Ordinal).ToList();

        mapped.ShouldBe(Expected.Keys.Order(StringComparer.Ordinal).ToList(), "every endpoint the boot service maps is classified here");
        var wrong = new List<string>();
        // The script last: each fetch issues a new agent token, and the one taken above would stop working.
        foreach (var (endpoint, allowed) in Expected.OrderBy(e => e.Key.StartsWith("GET /boot/", StringComparison.Ordinal)))
        {
            foreach (var caller in Enum.GetValues<Caller>())
            {
                var status = await CallAsync(service, endpoint, caller == Caller.Agent ? agentToken : caller == Caller.Admin ? InProcessBootService.AdminToken : null);
                var refused = status == HttpStatusCode.Unauthorized;
                var shouldRefuse = allowed != Caller.Anyone && caller != allowed;
                if (refused != shouldRefuse)
                    wrong.Add($"{endpoint} as {caller}: {(int)status}");
            }
        }

        wrong.ShouldBeEmpty();
    }

    [Fact]
    public async Task The_admin_token_is_compared_whole_and_a_service_without_one_keeps_its_operator_api_closed()
    {
        await using var service = await InProcessBootService.StartAsync();
        await using var closed = await InProcessBootService.StartAsync(adminToken: null);

        var prefix = await CallAsync(service, "GET /api/v1/machines", InProcessBootService.AdminToken[..^1]);
        var longer = await CallAsync(service, "GET /api/v1/machines", InProcessBootService.AdminToken + "x");
        var none = await CallAsync(closed, "GET /api/v1/machines", "");
        using var answer = await closed.Client.GetAsync("/api/v1/machines", Ct);

        prefix.ShouldBe(HttpStatusCode.Unauthorized);
        longer.ShouldBe(HttpStatusCode.Unauthorized);
        none.ShouldBe(HttpStatusCode.Unauthorized);
        (await answer.Content.ReadAsStringAsync(Ct)).ShouldContain("started without --admin-token");
    }

    /// <summary>A well-formed body for each endpoint that takes one: a refusal must be about the caller, not the request.</summary>
    private static string Body(string pattern) => pattern switch
    {
        "/agent/v1/register" => JsonSerializer.Serialize(new RegisterRequest
        {
            AgentVersion = "1",
            Facts = new HardwareFacts
            {
                Firmware = "bios", Cpu = new CpuFacts("QEMU", 1), MemoryBytes = 1L << 30, Disks = [], Nics = [], Dmi = new DmiFacts(null, null, null),
            },
        }, ProtocolJson.Default.RegisterRequest),
        "/agent/v1/progress" => JsonSerializer.Serialize(new ProgressReport("writing", 1, 2, 1, 1), ProtocolJson.Default.ProgressReport),
        "/agent/v1/result" => JsonSerializer.Serialize(new DeployResult { ImageId = InProcessBootService.ImageId, Succeeded = false, Reason = "test" }, ProtocolJson.Default.DeployResult),
        "/agent/v1/health" => JsonSerializer.Serialize(new HealthReport { ImageId = InProcessBootService.ImageId, Kernel = "6.1", BootSeconds = 1, FailedUnits = [], Checks = [] },
            ProtocolJson.Default.HealthReport),
        "/api/v1/machines/{mac}/desired-image" => $$"""{"imageId":"{{InProcessBootService.ImageId}}"}""",
        "/api/v1/desired-images" => $$"""{"machines":[{"mac":"{{Mac}}","imageId":"{{InProcessBootService.ImageId}}"}]}""",
        "/images/{id}/chunks" => new string('0', 32),
        _ => throw new InvalidOperationException($"no body for {pattern}"),
    };

    private static async Task<HttpStatusCode> CallAsync(InProcessBootService service, string endpoint, string? token)
    {
        var (method, pattern) = (endpoint.Split(' ')[0], endpoint.Split(' ')[1]);
        var path = pattern.Replace("{mac}", Mac, StringComparison.Ordinal).Replace("{**path}", "none", StringComparison.Ordinal)
            .Replace("{id}", InProcessBootService.ImageId, StringComparison.Ordinal).Replace("{file}", "disk.raw.zst", StringComparison.Ordinal);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT")
            request.Content = new StringContent(Body(pattern), Encoding.UTF8, "application/json");
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await service.Client.SendAsync(request, Ct);
        return response.StatusCode;
    }
}
