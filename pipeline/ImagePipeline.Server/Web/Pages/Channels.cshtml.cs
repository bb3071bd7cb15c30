using ImagePipeline.Server.Promotion;
using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages;

/// <summary>The promotion ladder and the images in each channel.</summary>
public sealed class ChannelsModel(Channels channels) : PipelinePage
{
    public IReadOnlyList<(string Name, int Approvals)> Ladder { get; private set; } = [];
    private ILookup<string, ImageVersion> images = Enumerable.Empty<ImageVersion>().ToLookup(i => i.Channel);

    public IEnumerable<ImageVersion> In(string channel) => images[channel];

    public async Task OnGetAsync()
    {
        await using var db = await OpenAsync();
        Ladder = [.. channels.Names.Select(name => (name, name == Channels.Candidate ? 0 : channels.ApprovalsFor(name)))];
        images = (await db.Images.OrderByDescending(i => i.PromotedAt ?? i.CreatedAt).Take(500).ToListAsync(HttpContext.RequestAborted)).ToLookup(i => i.Channel);
    }
}
