using System.Net.Http.Headers;
using System.Net.Http.Json;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Agent.Deploy;

/// <summary>The agent API, as the agent calls it: JSON through the shared source-generated contract, the machine token on every call.</summary>
public sealed class BootServiceClient(HttpClient http, Uri server, string token)
{
    public async Task<RegisterResponse> RegisterAsync(RegisterRequest request, CancellationToken cancellationToken)
    {
        using var response = await PostAsync(AgentRoutes.Register, JsonContent.Create(request, ProtocolJson.Default.RegisterRequest), cancellationToken);
        return await response.Content.ReadFromJsonAsync(ProtocolJson.Default.RegisterResponse, cancellationToken)
            ?? throw new InvalidOperationException("the boot service answered the registration with nothing");
    }

    public async Task ProgressAsync(ProgressReport report, CancellationToken cancellationToken) =>
        (await PostAsync(AgentRoutes.Progress, JsonContent.Create(report, ProtocolJson.Default.ProgressReport), cancellationToken)).Dispose();

    public async Task ResultAsync(DeployResult result, CancellationToken cancellationToken) =>
        (await PostAsync(AgentRoutes.Result, JsonContent.Create(result, ProtocolJson.Default.DeployResult), cancellationToken)).Dispose();

    public async Task<HealthAcknowledgement> HealthAsync(HealthReport report, CancellationToken cancellationToken)
    {
        using var response = await PostAsync(AgentRoutes.Health, JsonContent.Create(report, ProtocolJson.Default.HealthReport), cancellationToken);
        return await response.Content.ReadFromJsonAsync(ProtocolJson.Default.HealthAcknowledgement, cancellationToken)
            ?? throw new InvalidOperationException("the boot service acknowledged the health report with nothing");
    }

    private async Task<HttpResponseMessage> PostAsync(string path, HttpContent content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, path)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            response.Dispose();
            throw new HttpRequestException($"{path} answered {(int)response.StatusCode}: {body}");
        }

        return response;
    }
}
