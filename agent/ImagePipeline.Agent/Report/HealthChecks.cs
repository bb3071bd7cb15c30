using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Agent.Report;

/// <summary>
/// Runs the recipe's checks (from <c>/etc/imagepipeline/health-checks.json</c>, written by the
/// builder) from inside the booted image: <c>tcp: PORT</c>, <c>http: {port, path, status, body}</c>
/// and <c>command: {run, output}</c>, each retried until its timeout (default 60 s) as services
/// start. Console and screenshot checks belong to the validation harness and are skipped here.
/// </summary>
public sealed class HealthChecks(string host = "127.0.0.1")
{
    public const string DefaultPath = "/etc/imagepipeline/health-checks.json";
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
    /// <summary>One try of a check; a command still running then is killed.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    public async Task<IReadOnlyList<HealthCheckResult>> RunAsync(string json, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(json);
        var results = new List<HealthCheckResult>();
        foreach (var check in document.RootElement.EnumerateArray())
        {
            if (check.ValueKind != JsonValueKind.Object)
                continue;
            foreach (var property in check.EnumerateObject())
            {
                var result = property.Name switch
                {
                    "tcp" => await TcpAsync(property.Value, cancellationToken),
                    "http" => await HttpAsync(property.Value, cancellationToken),
                    "command" => await CommandAsync(property.Value, cancellationToken),
                    _ => null,
                };
                if (result is not null)
                    results.Add(result);
            }
        }

        return results;
    }

    private async Task<HealthCheckResult> TcpAsync(JsonElement value, CancellationToken cancellationToken)
    {
        var port = Int(value.ValueKind == JsonValueKind.Object ? Get(value, "port") : Text(value), 0);
        var timeout = Seconds(value.ValueKind == JsonValueKind.Object ? Get(value, "timeout") : null);
        return await UntilAsync($"tcp {port}", timeout, async ct =>
        {
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, ct);
            return null;
        }, cancellationToken);
    }

    private async Task<HealthCheckResult> HttpAsync(JsonElement value, CancellationToken cancellationToken)
    {
        var port = Int(Get(value, "port"), 80);
        var path = Get(value, "path") ?? "/";
        var status = Int(Get(value, "status"), 200);
        var body = Get(value, "body");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return await UntilAsync($"http :{port}{path}", Seconds(Get(value, "timeout")), async ct =>
        {
            using var response = await http.GetAsync(new Uri($"http://{host}:{port}{path}"), ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if ((int)response.StatusCode != status)
                return $"status {(int)response.StatusCode}, expected {status}";
            return body is not null && !text.Contains(body, StringComparison.Ordinal) ? $"the body does not contain '{body}'" : null;
        }, cancellationToken);
    }

    private async Task<HealthCheckResult> CommandAsync(JsonElement value, CancellationToken cancellationToken)
    {
        var run = value.ValueKind == JsonValueKind.Object ? Get(value, "run") ?? "" : Text(value) ?? "";
        var output = value.ValueKind == JsonValueKind.Object ? Get(value, "output") : null;
        return await UntilAsync($"command {run}", Seconds(value.ValueKind == JsonValueKind.Object ? Get(value, "timeout") : null), async ct =>
        {
            // The validation channel's runner: stderr with stdout, as the harness matches it, and a hung command killed.
            var (exitCode, text, timedOut) = await Shell.ShellCommand.RunAsync(run, AttemptTimeout, ct);
            if (timedOut)
                return $"did not finish within {AttemptTimeout.TotalSeconds:0} s";
            if (exitCode != 0)
                return $"exit {exitCode}";
            // Multiline, as the validation harness reads it: ^ and $ anchor lines of the output.
            return output is not null && !Regex.IsMatch(text, output, RegexOptions.Multiline, TimeSpan.FromSeconds(1)) ? $"output does not match '{output}'" : null;
        }, cancellationToken);
    }

    /// <summary>Tries until the attempt returns null (passed) or the timeout ends; the last reason is the detail.</summary>
    private async Task<HealthCheckResult> UntilAsync(string name, TimeSpan timeout, Func<CancellationToken, Task<string?>> attempt, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        string reason;
        while (true)
        {
            try
            {
                using var each = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                each.CancelAfter(AttemptTimeout + TimeSpan.FromSeconds(5));
                reason = await attempt(each.Token) ?? "";
                if (reason.Length == 0)
                    return new HealthCheckResult(name, true, $"passed after {watch.Elapsed.TotalSeconds:0.0} s");
            }
            catch (Exception e) when (e is SocketException or HttpRequestException or IOException or OperationCanceledException or System.ComponentModel.Win32Exception
                && !cancellationToken.IsCancellationRequested)
            {
                reason = e.Message;
            }

            if (watch.Elapsed >= timeout)
                return new HealthCheckResult(name, false, $"{reason} (for {timeout.TotalSeconds:0} s)");
            await Task.Delay(RetryInterval, cancellationToken);
        }
    }

    private static string? Get(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Object && value.TryGetProperty(name, out var property) ? Text(property) : null;

    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        _ => null,
    };

    private static int Int(string? text, int fallback) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    private static TimeSpan Seconds(string? text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? TimeSpan.FromSeconds(value) : DefaultTimeout;
}
