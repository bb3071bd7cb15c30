using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages;

/// <summary>Who did what, when: the newest 500 entries, filtered.</summary>
public sealed class AuditModel : PipelinePage
{
    [BindProperty(SupportsGet = true, Name = "q")]
    public string? Query { get; set; }

    [BindProperty(SupportsGet = true, Name = "emergency")]
    public bool EmergencyOnly { get; set; }

    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];

    public async Task OnGetAsync()
    {
        await using var db = await OpenAsync();
        var entries = db.Audit.AsQueryable();
        if (!string.IsNullOrWhiteSpace(Query))
            entries = entries.Where(a => a.Actor.Contains(Query) || a.Action.Contains(Query) || a.Detail.Contains(Query));
        if (EmergencyOnly)
            entries = entries.Where(a => a.Action.StartsWith("EMERGENCY "));
        Entries = await entries.OrderByDescending(a => a.Id).Take(500).ToListAsync(HttpContext.RequestAborted);
    }
}
