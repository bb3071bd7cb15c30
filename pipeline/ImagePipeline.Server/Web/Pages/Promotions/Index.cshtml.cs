using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Promotion;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages.Promotions;

/// <summary>A promotion request with the recipe its image is of.</summary>
public sealed record PromotionRow(PromotionRequest Request, string RecipeName)
{
    public bool Emergency => Request.Emergency;
}

/// <summary>Promotion requests: approve or reject the waiting ones (the desk enforces four eyes and the rest), and the record of the decided ones.</summary>
public sealed class PromotionsModel(PromotionDesk desk) : PipelinePage
{
    public IReadOnlyList<PromotionRow> Pending { get; private set; } = [];
    public IReadOnlyList<PromotionRow> Decided { get; private set; } = [];

    public async Task OnGetAsync()
    {
        await using var db = await OpenAsync();
        var ct = HttpContext.RequestAborted;
        var promotions = await db.Promotions.Include(p => p.Approvals).OrderByDescending(p => p.Id).Take(200).ToListAsync(ct);
        var ids = promotions.Select(p => p.ImageId).Distinct().ToList();
        var recipes = await db.Images.Where(i => ids.Contains(i.ImageId)).ToDictionaryAsync(i => i.ImageId, i => i.RecipeName, ct);
        var rows = promotions.Select(p => new PromotionRow(p, recipes.GetValueOrDefault(p.ImageId, "?"))).ToList();
        Pending = [.. rows.Where(r => r.Request.State == PromotionState.Pending).OrderBy(r => r.Request.Id)];
        Decided = [.. rows.Where(r => r.Request.State != PromotionState.Pending)];
    }

    [HandlerPolicy(Roles.Policies.Approve)]
    public Task<IActionResult> OnPostApproveAsync(long id, string? comment) => DecideAsync(id, comment, approve: true);

    [HandlerPolicy(Roles.Policies.Approve)]
    public Task<IActionResult> OnPostRejectAsync(long id, string? comment) => DecideAsync(id, comment, approve: false);

    private Task<IActionResult> DecideAsync(long id, string? comment, bool approve) => UnlessRefusedAsync(async () =>
    {
        await desk.DecideAsync(id, Actor, approve, comment, HttpContext.RequestAborted);
        return Done($"promotion {id}: {(approve ? "approved" : "rejected")}");
    });
}
