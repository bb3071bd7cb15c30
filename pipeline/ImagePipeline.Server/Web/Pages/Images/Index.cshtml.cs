using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages.Images;

/// <summary>Every validated image version, newest first, with its channel and signature.</summary>
public sealed class ImagesModel : PipelinePage
{
    public IReadOnlyList<ImageVersion> Images { get; private set; } = [];
    public IReadOnlySet<long> EmergencyRuns { get; private set; } = new HashSet<long>();

    public async Task OnGetAsync()
    {
        await using var db = await OpenAsync();
        Images = await db.Images.OrderByDescending(i => i.CreatedAt).Take(300).ToListAsync(HttpContext.RequestAborted);
        EmergencyRuns = (await db.Runs.Where(r => r.Emergency).Select(r => r.Id).ToListAsync(HttpContext.RequestAborted)).ToHashSet();
    }
}
