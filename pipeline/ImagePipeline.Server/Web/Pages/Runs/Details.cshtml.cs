using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages.Runs;

/// <summary>One run: its facts, and its log streamed live.</summary>
public sealed class RunModel : PipelinePage
{
    public PipelineRun Run { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(long id)
    {
        await using var db = await OpenAsync();
        var run = await db.Runs.Include(r => r.Recipe).SingleOrDefaultAsync(r => r.Id == id, HttpContext.RequestAborted);
        if (run is null)
            return NotFound($"no run {id}");
        Run = run;
        return Page();
    }
}
