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
/// missing or wrong signature gets 401 and an audit entry, never a build.
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

    private static async Task<Results<Accepted<string>, Ok<string>, UnauthorizedHttpResult, NotFound<string>, BadRequest<string>>> ReceiveAsync(string source, HttpContext http,
        IDbContextFactory<PipelineDb> databases, RunScheduler scheduler, TimeProvider clock, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length > MaxBody)
            return TypedResults.BadRequest($"the body is larger than {MaxBody >> 20} MiB");
        var body = buffer.ToArray();
        await using var db = await databases.CreateDbContextAsync(ct);
        var found = await db.Sources.SingleOrDefaultAsync(s => s.Name == source, ct);
        if (found is null)
            return TypedResults.NotFound($"no source '{source}'");
        if (WebhookSignature.Check(http.Request.Headers, body, found.WebhookSecret) is { } refusal)
        {
            db.Audit.Add(new AuditEntry { At = clock.GetUtcNow().UtcDateTime, Actor = SourcesApi.Actor(http), Action = "webhook-refused", Detail = $"{source}: {refusal}" });
            await db.SaveChangesAsync(ct);
            http.Response.Headers.WWWAuthenticate = "HMAC-SHA256";
            return TypedResults.Unauthorized();
        }

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
}
