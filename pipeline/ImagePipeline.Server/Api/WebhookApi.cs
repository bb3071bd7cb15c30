using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.State;
using ImagePipeline.Server.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Api;

/// <summary>
/// POST /api/v1/webhooks/SOURCE: a forge's push event. Authentic (HMAC over the exact body) and
/// for the source's branch, it syncs the source and builds the recipes the push touched; a
/// missing or wrong signature gets 401 and an audit entry (at most one a minute per source,
/// <see cref="RefusalAudit"/>), never a build. A body received before is not acted on again
/// (<see cref="DeliveryMemory"/>), and the sync job builds a pushed commit only when it is on the
/// branch and newer than the last one seen, so a replayed push cannot move a source backwards.
/// </summary>
public static class WebhookApi
{
    private const int MaxBody = 5 << 20;

    public static IEndpointRouteBuilder MapWebhookApi(this IEndpointRouteBuilder app)
    {
        // Forges have no account: the source's HMAC secret is the credential (a wrong one is a 401 and an audit entry).
        app.MapPost("/api/v1/webhooks/{source}", ReceiveAsync).WithTags("webhooks").AllowAnonymous();
        return app;
    }

    private static async Task<Results<Accepted<string>, Ok<string>, UnauthorizedHttpResult, NotFound<string>, BadRequest<string>, StatusCodeHttpResult>> ReceiveAsync(string source, HttpContext http,
        IDbContextFactory<PipelineDb> databases, RunScheduler scheduler, DeliveryMemory deliveries, RefusalAudit refusals, TimeProvider clock, CancellationToken ct)
    {
        // The size is checked before a byte is buffered: by the declared length, then while reading (a chunked body declares none).
        if (http.Request.ContentLength > MaxBody)
            return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
        var body = await ReadAtMostAsync(http.Request.Body, MaxBody, ct);
        if (body is null)
            return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
        await using var db = await databases.CreateDbContextAsync(ct);
        var found = await db.Sources.SingleOrDefaultAsync(s => s.Name == source, ct);
        if (found is null)
            return TypedResults.NotFound($"no source '{source}'");
        if (WebhookSignature.Check(http.Request.Headers, body, found.WebhookSecret) is { } refusal)
        {
            if (refusals.Record(source) is { } folded)
            {
                var more = folded > 0 ? $" ({folded} more refused in the minute before, not written one by one)" : "";
                db.Audit.Add(new AuditEntry { At = clock.GetUtcNow().UtcDateTime, Actor = SourcesApi.Actor(http), Action = "webhook-refused", Detail = $"{source}: {refusal}{more}" });
                await db.SaveChangesAsync(ct);
            }

            http.Response.Headers.WWWAuthenticate = "HMAC-SHA256";
            return TypedResults.Unauthorized();
        }

        if (!deliveries.IsFirst(source, body))
            return TypedResults.Ok("ignored: this delivery was received before");
        var kind = http.Request.Headers["X-GitHub-Event"].ToString() is { Length: > 0 } github ? github
            : http.Request.Headers["X-Gitea-Event"].ToString() is { Length: > 0 } gitea ? gitea
            : http.Request.Headers["X-Gitlab-Event"].ToString() is { Length: > 0 } gitlab ? (gitlab == "Push Hook" ? "push" : gitlab) : "push";
        if (kind == "ping")
            return TypedResults.Ok("pong");
        if (kind != "push")
            return TypedResults.Ok($"ignored: {kind} events do not build");
        var (push, error) = PushEvent.Parse(body);
        if (push is null)
            return TypedResults.BadRequest(error!);
        if (push.Branch != found.Branch)
            return TypedResults.Ok($"ignored: the push is to {push.Ref}; source {source} follows {found.Branch}");
        db.Audit.Add(new AuditEntry { At = clock.GetUtcNow().UtcDateTime, Actor = "webhook", Action = "push", Detail = $"{source}: {push.After} touched {push.ChangedPaths.Count} paths" });
        await db.SaveChangesAsync(ct);
        scheduler.EnqueueSync(found.Id, "webhook", [.. push.ChangedPaths], push.After);
        return TypedResults.Accepted($"/api/v1/runs?source={source}", $"push {push.After} of {source} accepted: the recipes it touched are being built");
    }

    /// <summary>The whole body, or null once it passes <paramref name="limit"/> bytes (reading stops there).</summary>
    private static async Task<byte[]?> ReadAtMostAsync(Stream body, int limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
                return null;
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
