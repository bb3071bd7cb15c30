using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages;

/// <summary>The dashboard: what waits for a decision, what is rolling out, what each channel holds, the latest runs.</summary>
public sealed class IndexModel : PipelinePage
{
    public IReadOnlyList<PromotionRequest> Pending { get; private set; } = [];
    public IReadOnlyList<Rollout> Active { get; private set; } = [];
    public IReadOnlyList<ImageVersion> Heads { get; private set; } = [];
    public IReadOnlyList<PipelineRun> Runs { get; private set; } = [];

    public async Task OnGetAsync()
    {
        await using var db = await OpenAsync();
        var ct = HttpContext.RequestAborted;
        Pending = await db.Promotions.Include(p => p.Approvals).Where(p => p.State == PromotionState.Pending).OrderBy(p => p.Id).ToListAsync(ct);
        Active = await db.Rollouts.Include(r => r.Targets).Where(r => r.State == RolloutState.Running || r.State == RolloutState.Paused).OrderBy(r => r.Id).ToListAsync(ct);
        var images = await db.Images.ToListAsync(ct);
        Heads = [.. images.GroupBy(i => (i.RecipeName, i.Channel)).Select(g => g.MaxBy(i => i.PromotedAt ?? i.CreatedAt)!).OrderBy(i => i.RecipeName).ThenBy(i => i.Channel)];
        Runs = await db.Runs.Include(r => r.Recipe).OrderByDescending(r => r.Id).Take(15).ToListAsync(ct);
    }
}
