using System.Text.RegularExpressions;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Validation.Checks;

/// <summary>Recipe check <c>http: {port, path, status, body}</c>: the guest answers the request with that status and a body matching the regex.</summary>
public sealed record HttpCheck(int Port, string Path, int Status, Regex? Body, TimeSpan Timeout) : ValidationCheck($"http :{Port}{Path}", Timeout)
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(10) };

    public override IEnumerable<int> GuestPorts => [Port];

    public override async Task RunAsync(QemuVm vm, CheckContext context, CancellationToken cancellationToken)
    {
        var url = $"http://127.0.0.1:{vm.PortForwards[Port]}{Path}";
        string? lastBody = null;
        await Retry.UntilAsync($"GET {Path} on port {Port} of {vm.Machine.Name} to answer {Status}", async token =>
        {
            try
            {
                using var response = await Client.GetAsync(url, token);
                lastBody = await response.Content.ReadAsStringAsync(token);
                if ((int)response.StatusCode != Status)
                    return $"status {(int)response.StatusCode}";
                return Body is null || Body.IsMatch(lastBody) ? null : $"status {Status} but the body does not match /{Body}/";
            }
            catch (HttpRequestException e)
            {
                return e.HttpRequestError == HttpRequestError.ResponseEnded ? "the connection closed before a response (nothing listens yet)" : e.Message;
            }
            catch (TaskCanceledException) when (!token.IsCancellationRequested)
            {
                return "no answer within 10 s";
            }
        }, Timeout, () => lastBody is null ? "" : $"last body:\n{lastBody[..Math.Min(lastBody.Length, 2000)]}", cancellationToken: cancellationToken);
    }
}
