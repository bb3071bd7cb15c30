using Hangfire;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Api;

/// <summary>/healthz: the process answers. /readyz: it can reach its state database and its job storage, so it can take work.</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        // Probes ask without credentials: health says nothing about the fleet.
        app.MapGet("/healthz", () => Results.Text("ok\n")).WithTags("health").AllowAnonymous();
        app.MapGet("/readyz", async (IDbContextFactory<PipelineDb> databases, JobStorage storage, CancellationToken ct) =>
        {
            var problems = new List<string>();
            try
            {
                await using var db = await databases.CreateDbContextAsync(ct);
                if (!await db.Database.CanConnectAsync(ct))
                    problems.Add("the state database does not answer");
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or System.Data.Common.DbException)
            {
                problems.Add($"the state database: {e.Message}");
            }

            try
            {
                _ = storage.GetMonitoringApi().Servers();
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or System.Data.Common.DbException)
            {
                problems.Add($"the job storage: {e.Message}");
            }

            return problems.Count == 0 ? Results.Text("ready\n") : Results.Text(string.Join('\n', problems) + "\n", statusCode: 503);
        }).WithTags("health").AllowAnonymous();
        return app;
    }
}
