using ImagePipeline.Builder;
using ImagePipeline.Server.Api;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Promotion;
using ImagePipeline.Server.State;
using ImagePipeline.Validation.Running;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages.Images;

/// <summary>One image version: manifest and packages, the validation matrix with its evidence, its promotions; ask for the next channel.</summary>
public sealed class ImageModel(ServerOptions options, Channels channels, PromotionDesk desk) : PipelinePage
{
    public ImageVersion Image { get; private set; } = null!;
    public PipelineRun? Run { get; private set; }
    public ImageManifest? Manifest { get; private set; }
    public ValidationReport? Report { get; private set; }
    public IReadOnlyList<PromotionRequest> Promotions { get; private set; } = [];
    public string? NextChannel { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id)
    {
        await using var db = await OpenAsync();
        var ct = HttpContext.RequestAborted;
        var image = await db.Images.SingleOrDefaultAsync(i => i.ImageId == id, ct);
        if (image is null)
            return NotFound($"no image version {id}");
        Image = image;
        Run = await db.Runs.SingleOrDefaultAsync(r => r.Id == image.RunId, ct);
        var directory = Evidence.DirectoryOf(options, id);
        Manifest = Evidence.Manifest(directory);
        Report = Evidence.Report(directory);
        Promotions = await db.Promotions.Where(p => p.ImageId == id).OrderBy(p => p.Id).ToListAsync(ct);
        NextChannel = channels.Next(image.Channel);
        return Page();
    }

    [HandlerPolicy(Roles.Policies.Request)]
    public Task<IActionResult> OnPostPromoteAsync(string id, string? comment, bool emergency) => UnlessRefusedAsync(async () =>
    {
        await desk.RequestAsync(id, Actor, channel: null, comment, emergency, HttpContext.RequestAborted);
        return Done("promotion requested: an approver other than you decides it (Promotions)");
    });
}
