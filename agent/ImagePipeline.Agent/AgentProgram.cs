using ImagePipeline.Agent.Delta;
using ImagePipeline.Agent.Disks;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.Agent.Transport;
using ImagePipeline.Agent.Writing;

namespace ImagePipeline.Agent;

/// <summary>
/// <c>imagepipe-agent write --url URL --size N --sha256 HEX --target PATH [--encoding zstd|raw] [--signature B64 --trust-key PEM | --allow-unsigned] [--verify]
/// [--token T] [--delta-index URL --delta-index-sha256 HEX --chunks URL [--delta-index-signature B64]]</c>:
/// the write path alone, for benchmarks and operators; with the delta options, only the chunks the target lacks are fetched. (<c>deploy</c>, <c>report</c>, <c>update</c> and <c>guest-channel</c> modes follow.)
/// Exit 0 written, 1 refused (the first MiB untouched), 2 usage.
/// </summary>
public static class AgentProgram
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["deploy", ..])
        {
            try
            {
                return await Deploy.DeployCommand.RunAsync(args.Contains("--stay-up"), CancellationToken.None);
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"deploy: {e.Message}");
                return 2;
            }
        }

        if (args is ["report", ..])
            return await Report.ReportCommand.RunAsync(CancellationToken.None);

        if (args is ["update", ..])
            return await Slots.UpdateCommand.RunAsync(!args.Contains("--no-reboot"), CancellationToken.None);

        if (args is ["guest-channel", ..])
            return await GuestChannel.GuestChannelCommand.RunAsync(CancellationToken.None);

        if (args is ["facts", ..])
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new Hardware.HardwareFactsReader().Read(), Protocol.ProtocolJson.Default.HardwareFacts));
            return 0;
        }

        if (args is not ["write", ..])
        {
            Console.Error.WriteLine("usage: imagepipe-agent deploy [--stay-up] | report | update [--no-reboot] | guest-channel | facts | write --url URL --size BYTES --sha256 HEX --target PATH [--encoding zstd|raw] [--signature B64 --trust-key FILE | --allow-unsigned] [--verify] [--token T] [--delta-index URL --delta-index-sha256 HEX --chunks URL [--delta-index-signature B64]]");
            return 2;
        }

        var options = Options(args[1..]);
        if (!options.TryGetValue("url", out var url) || !options.TryGetValue("size", out var sizeText) || !long.TryParse(sizeText, out var size)
            || !options.TryGetValue("sha256", out var sha) || !options.TryGetValue("target", out var targetPath))
        {
            Console.Error.WriteLine("write: --url, --size, --sha256 and --target are required");
            return 2;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var writeOptions = new WriteOptions
        {
            AllowUnsigned = options.ContainsKey("allow-unsigned"),
            TrustedPublicKeyPem = options.TryGetValue("trust-key", out var keyFile) ? await File.ReadAllTextAsync(keyFile, cancel.Token) : null,
            VerifyAfterWrite = options.ContainsKey("verify"),
        };
        var request = new WriteRequest(new Uri(url), options.GetValueOrDefault("encoding", "zstd"), size, sha, options.GetValueOrDefault("signature"));
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var authorization = options.TryGetValue("token", out var token) ? new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token) : null;
        DeltaSource? delta = null;
        if (options.TryGetValue("delta-index", out var indexUrl))
        {
            if (!options.TryGetValue("delta-index-sha256", out var indexSha256) || !options.TryGetValue("chunks", out var chunksUrl))
            {
                Console.Error.WriteLine("write: --delta-index needs --delta-index-sha256 and --chunks");
                return 2;
            }

            delta = new DeltaSource(indexUrl, indexSha256, options.GetValueOrDefault("delta-index-signature"), chunksUrl);
        }

        try
        {
            using var target = BlockDevice.Open(targetPath, size);
            void Progress(WriteProgress p) => Console.Error.WriteLine($"{p.Phase} {p.BytesDone >> 20}/{p.BytesTotal >> 20} MiB {p.BytesPerSecond / 1e6:0} MB/s");
            var result = delta is null ? null
                : await new DeltaWriter(new HttpChunkTransport(http, authorization), writeOptions, TimeProvider.System)
                    .TryWriteAsync(request, delta, target, Progress, null, line => Console.Error.WriteLine(line), cancel.Token);
            result ??= await new ImageWriter(new HttpImageTransport(http, authorization), writeOptions, TimeProvider.System)
                .WriteAsync(request, target, Progress, null, cancel.Token);
            Console.WriteLine($"written {result.SizeBytes} bytes to {targetPath} in {result.Elapsed.TotalSeconds:0.00} s ({result.SizeBytes / result.Elapsed.TotalSeconds / 1e6:0} MB/s, "
                + $"{result.Method}, fetched {result.BytesFetched} bytes{(result.Method == "delta" ? $" in {result.ChunksFetched} chunks, {result.ChunksReused} chunks already there" : "")}, "
                + $"{result.Resumes} resumes, direct I/O {(target.UsesDirectIo ? "on" : "off")})");
            return 0;
        }
        catch (DeployRefusedException e)
        {
            Console.Error.WriteLine($"refused: {e.Message}");
            return 1;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"refused: {e.Message}");
            return 1;
        }
    }

    private static Dictionary<string, string> Options(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
                continue;
            var name = args[i][2..];
            options[name] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "";
        }

        return options;
    }
}
