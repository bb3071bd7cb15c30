using System.Text;
using ImagePipeline.Loops;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Api;

/// <summary>Pipeline runs, and their logs streamed live as server-sent events.</summary>
public static class RunsApi
{
    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/runs").WithTags("runs").RequireAuthorization(Roles.Policies.Read);
        api.MapGet("/", async (string? recipe, IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var runs = db.Runs.Include(r => r.Recipe).AsQueryable();
            if (recipe is not null)
                runs = runs.Where(r => r.Recipe!.Name == recipe);
            return (await runs.OrderByDescending(r => r.Id).Take(100).ToListAsync(ct)).Select(RunView.Of).ToList();
        });
        api.MapGet("/{id:long}", async Task<Results<Ok<RunView>, NotFound<string>>> (long id, IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var run = await db.Runs.Include(r => r.Recipe).SingleOrDefaultAsync(r => r.Id == id, ct);
            return run is null ? TypedResults.NotFound($"no run {id}") : TypedResults.Ok(RunView.Of(run));
        });
        api.MapGet("/{id:long}/log", StreamLogAsync);
        return app;
    }

    /// <summary>
    /// text/event-stream: every log line so far, then new ones as they are written, one event per
    /// line; an "end" event with the run's final state once it has finished and the log is drained.
    /// The log is a file, so any server process can stream any run.
    /// </summary>
    internal static async Task StreamLogAsync(long id, HttpContext http, IDbContextFactory<PipelineDb> databases, RunLogs logs, ServerLoops loops, TimeProvider clock, CancellationToken ct)
    {
        await using (var db = await databases.CreateDbContextAsync(ct))
        {
            if (!await db.Runs.AnyAsync(r => r.Id == id, ct))
            {
                http.Response.StatusCode = 404;
                await http.Response.WriteAsync($"no run {id}", ct);
                return;
            }
        }

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        long offset = 0;
        var pending = "";
        var pacer = loops.Pacer(ServerLoops.LogStreams, TimeSpan.FromSeconds(30));
        var wait = TimeSpan.FromMilliseconds(500);
        while (!ct.IsCancellationRequested)
        {
            string? state = null;
            try
            {
                await using var db = await databases.CreateDbContextAsync(ct);
                var run = await db.Runs.SingleAsync(r => r.Id == id, ct);
                state = run.Finished ? run.State.ToString().ToLowerInvariant() : null;
                wait = TimeSpan.FromMilliseconds(500);
                pacer.Succeeded();
            }
#pragma warning disable CA1031 // the store away: the lines in the file still stream; the state is asked again after a backoff
            catch (Exception e) when (!BackgroundLoop.IsShutdown(e, ct))
#pragma warning restore CA1031
            {
                wait = pacer.Failed(e);
            }

            var path = logs.PathOf(id);
            if (File.Exists(path))
            {
                await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                file.Seek(offset, SeekOrigin.Begin);
                using var reader = new StreamReader(file, Encoding.UTF8);
                var text = pending + await reader.ReadToEndAsync(ct);
                offset = file.Position;
                var lines = text.Split('\n');
                pending = lines[^1];
                foreach (var line in lines[..^1])
                    await http.Response.WriteAsync($"data: {line}\n\n", ct);
                await http.Response.Body.FlushAsync(ct);
            }

            if (state is not null)
            {
                await http.Response.WriteAsync($"event: end\ndata: {state}\n\n", ct);
                return;
            }

            await Task.Delay(wait, clock, ct);
        }
    }
}
