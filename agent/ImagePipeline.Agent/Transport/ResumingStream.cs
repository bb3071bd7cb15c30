using ImagePipeline.Agent.Writing;

namespace ImagePipeline.Agent.Transport;

/// <summary>
/// A read-only stream of the image that survives broken connections: after a network error, a
/// 5xx, a stall or a connection closed early, it waits (exponential backoff) and asks again from
/// the first byte it has not delivered, with If-Range so a changed file is detected, never spliced.
/// A 4xx, a response that starts elsewhere, or too many failures in a row end it with a
/// <see cref="DeployRefusedException"/> that says why. With a link monitor, a link that goes down
/// ends the connection at once and the download waits for the link before it asks again.
/// </summary>
public sealed class ResumingStream(IImageTransport transport, Uri url, ResumePolicy policy, TimeProvider clock, ILinkMonitor? link = null) : Stream
{
    private const long ProgressBytes = 1 << 20;

    private ImageResponse? response;
    private long position;
    private long? totalLength;
    private string? entityTag;
    private int failures;
    private long openedAt;
    private string lastError = "";
    private CancellationTokenSource? stallTimer;
    private CancellationToken stallLinkedTo;
    private CancellationToken stallLinkLost;

    /// <summary>How many times the download was resumed.</summary>
    public int Resumes { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                if (response is null && link is { IsUp: false } && !await link.WaitUntilUpAsync(policy.LinkDownTimeout, cancellationToken))
                    throw new DeployRefusedException($"the network link stayed down for {policy.LinkDownTimeout.TotalSeconds:0} s at byte {position} of {url}; check the cable and the switch port");
                var linkLost = link?.LinkLost ?? CancellationToken.None;
                try
                {
                    response ??= await OpenAsync(cancellationToken, linkLost);
                }
                catch (OperationCanceledException) when (linkLost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new IOException("the network link went down while connecting");
                }

                var stall = StallTimer(cancellationToken, linkLost);
                int read;
                try
                {
                    read = await response.Body.ReadAsync(buffer, stall);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException && linkLost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new IOException($"the network link went down at byte {position}");
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new IOException($"no data for {policy.StallTimeout.TotalSeconds:0} s");
                }

                if (read == 0)
                {
                    if (totalLength is { } total && position < total)
                        throw new IOException($"the connection closed at byte {position} of {total}");
                    return 0;
                }

                position += read;
                return read;
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                await FailedAsync(e.Message, cancellationToken);
            }
        }
    }

    /// <summary>
    /// The token for one read: the caller's, or the stall timeout. This is the download's hot
    /// path, so one timer is rearmed per read (TryReset) and replaced only after it fired.
    /// </summary>
    private CancellationToken StallTimer(CancellationToken cancellationToken, CancellationToken linkLost)
    {
        if (stallTimer is null || stallLinkedTo != cancellationToken || stallLinkLost != linkLost || !stallTimer.TryReset())
        {
            stallTimer?.Dispose();
            stallTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, linkLost);
            stallLinkedTo = cancellationToken;
            stallLinkLost = linkLost;
        }

        stallTimer.CancelAfter(policy.StallTimeout);
        return stallTimer.Token;
    }

    private async Task<ImageResponse> OpenAsync(CancellationToken cancellationToken, CancellationToken linkLost)
    {
        if (position > 0)
            Resumes++;
        openedAt = position;
        ImageResponse opened;
        using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, linkLost))
            opened = await transport.OpenAsync(url, position, entityTag, connecting.Token);
        try
        {
            if (opened.Status >= 500)
                throw new IOException($"server error {opened.Status} {opened.Reason}");
            if (opened.Status is not (200 or 206))
                throw new DeployRefusedException($"GET {url} answered {opened.Status} {opened.Reason}; is the image still in the artifact store?");
            if (entityTag is not null && opened.EntityTag is not null && opened.EntityTag != entityTag)
                throw new DeployRefusedException($"the image at {url} changed during the download (ETag {entityTag} became {opened.EntityTag})");
            if (opened.Status == 200 && position > 0)
            {
                // The server ignored the range: skip what we already have.
                await SkipAsync(opened.Body, position, cancellationToken);
            }
            else if (opened.Start != position)
            {
                throw new DeployRefusedException($"asked for byte {position} of {url} but the response starts at {opened.Start}");
            }

            entityTag ??= opened.EntityTag;
            totalLength ??= opened.TotalLength;
            return opened;
        }
        catch
        {
            opened.Dispose();
            throw;
        }
    }

    private static async Task SkipAsync(Stream body, long count, CancellationToken cancellationToken)
    {
        var scratch = new byte[64 * 1024];
        while (count > 0)
        {
            var read = await body.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, count)), cancellationToken);
            if (read == 0)
                throw new IOException("the full response ended before the bytes already received");
            count -= read;
        }
    }

    private async Task FailedAsync(string error, CancellationToken cancellationToken)
    {
        response?.Dispose();
        response = null;
        lastError = error;
        // A connection that delivered a real piece (1 MiB) before it broke was progress; one that keeps
        // breaking after a few bytes is not, and counts towards the limit.
        failures = position - openedAt >= ProgressBytes ? 1 : failures + 1;
        if (failures > policy.MaxConsecutiveFailures)
            throw new DeployRefusedException($"download of {url} failed {failures} times in a row at byte {position}; last error: {lastError}");
        var backoff = TimeSpan.FromTicks(Math.Min(policy.MaxBackoff.Ticks, policy.InitialBackoff.Ticks << Math.Min(failures - 1, 16)));
        await Task.Delay(backoff, clock, cancellationToken);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            response?.Dispose();
            stallTimer?.Dispose();
        }

        base.Dispose(disposing);
    }
}
