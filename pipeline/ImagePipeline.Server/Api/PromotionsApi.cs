using System.Security.Claims;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Promotion;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Api;

/// <summary>POST /api/v1/images/ID/promotions: to the next channel (or the named one, if it is the next), with a comment; emergency needs a reason.</summary>
public sealed record PromotionAsk(string? Channel, string? Comment, bool Emergency = false);

/// <summary>An approver's decision, with a comment.</summary>
public sealed record PromotionDecision(string? Comment);

public sealed record ApprovalView(string By, DateTime At, bool Approved, string? Comment);

public sealed record PromotionView(long Id, string ImageId, string From, string To, string RequestedBy, DateTime RequestedAt, string? Comment, bool Emergency,
    int ApprovalsNeeded, string State, DateTime? DecidedAt, DateTime? ExpiresAt, IReadOnlyList<ApprovalView> Approvals)
{
    public static PromotionView Of(PromotionRequest p) => new(p.Id, p.ImageId, p.FromChannel, p.ToChannel, p.RequestedBy, p.RequestedAt, p.Comment, p.Emergency,
        p.ApprovalsNeeded, p.State.ToString().ToLowerInvariant(), p.DecidedAt, p.ExpiresAt, [.. p.Approvals.OrderBy(a => a.At).Select(a => new ApprovalView(a.By, a.At, a.Approved, a.Comment))]);
}

/// <summary>
/// Promotion: a request moves an image one channel up once the channel's number of approvals is
/// reached, each by someone other than the requester (four eyes); the last approval signs the
/// image. Every step is an audit entry with who and the comment; EMERGENCY ones say so.
/// </summary>
public static class PromotionsApi
{
    public static IEndpointRouteBuilder MapPromotionsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/images/{id}/promotions", RequestAsync).WithTags("promotions").RequireAuthorization(Roles.Policies.Request);
        var api = app.MapGroup("/api/v1/promotions").WithTags("promotions").RequireAuthorization(Roles.Policies.Read);
        api.MapGet("/", async (string? state, IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var promotions = db.Promotions.Include(p => p.Approvals).AsQueryable();
            if (state is not null && Enum.TryParse<PromotionState>(state, ignoreCase: true, out var wanted))
                promotions = promotions.Where(p => p.State == wanted);
            return (await promotions.OrderByDescending(p => p.Id).Take(200).ToListAsync(ct)).Select(PromotionView.Of).ToList();
        });
        api.MapGet("/{id:long}", async Task<Results<Ok<PromotionView>, NotFound<string>>> (long id, IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var promotion = await db.Promotions.Include(p => p.Approvals).SingleOrDefaultAsync(p => p.Id == id, ct);
            return promotion is null ? TypedResults.NotFound($"no promotion {id}") : TypedResults.Ok(PromotionView.Of(promotion));
        });
        api.MapPost("/{id:long}/approve", (long id, PromotionDecision decision, ClaimsPrincipal user, PromotionDesk desk, CancellationToken ct) =>
            DecideAsync(desk, id, user, approve: true, decision, ct)).RequireAuthorization(Roles.Policies.Approve);
        api.MapPost("/{id:long}/reject", (long id, PromotionDecision decision, ClaimsPrincipal user, PromotionDesk desk, CancellationToken ct) =>
            DecideAsync(desk, id, user, approve: false, decision, ct)).RequireAuthorization(Roles.Policies.Approve);
        app.MapGet("/api/v1/signing-key", (ImageSigner signer) => Results.Text(signer.PublicKeyPem, "application/x-pem-file")).WithTags("promotions").RequireAuthorization(Roles.Policies.Read);
        return app;
    }

    private static Task<IResult> RequestAsync(string id, PromotionAsk ask, ClaimsPrincipal user, PromotionDesk desk, CancellationToken ct) =>
        Refusals.AnswerAsync(async () =>
        {
            var promotion = await desk.RequestAsync(id, user.Identity!.Name!, ask.Channel, ask.Comment, ask.Emergency, ct);
            return Results.Created($"/api/v1/promotions/{promotion.Id}", PromotionView.Of(promotion));
        });

    private static Task<IResult> DecideAsync(PromotionDesk desk, long id, ClaimsPrincipal user, bool approve, PromotionDecision decision, CancellationToken ct) =>
        Refusals.AnswerAsync(async () => Results.Ok(PromotionView.Of(await desk.DecideAsync(id, user.Identity!.Name!, approve, decision.Comment, ct))));
}
