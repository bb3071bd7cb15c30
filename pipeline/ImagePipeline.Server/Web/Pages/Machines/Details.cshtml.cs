using ImagePipeline.BootService.Contract;
using ImagePipeline.Server.Fleet;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages.Machines;

/// <summary>One machine: its registration (never its BMC password), what the boot service sees, its history, the rollouts it was in.</summary>
public sealed class MachineModel(ServerOptions options, IHttpClientFactory clients) : PipelinePage
{
    public Machine Machine { get; private set; } = null!;
    public MachineRecord? Seen { get; private set; }
    public FleetFacts? Facts { get; private set; }
    public IReadOnlyList<MachineEvent> Events { get; private set; } = [];
    public IReadOnlyList<RolloutTarget> Rollouts { get; private set; } = [];
    public string? Problem { get; private set; }

    public async Task<IActionResult> OnGetAsync(string name)
    {
        await using var db = await OpenAsync();
        var ct = HttpContext.RequestAborted;
        var machine = await db.Machines.SingleOrDefaultAsync(m => m.Name == name, ct);
        if (machine is null)
            return NotFound($"no machine {name}");
        Machine = machine;
        Rollouts = await db.Set<RolloutTarget>().Where(t => t.Machine == name).OrderByDescending(t => t.RolloutId).Take(50).ToListAsync(ct);
        var (detail, problem) = await FleetView.DetailAsync(options, clients, machine.Site, machine.Mac, ct);
        (Seen, Facts) = detail is { } known ? (known.Machine, known.Facts) : (null, null);
        var (events, eventsProblem) = problem is null && Seen is not null ? await FleetView.EventsAsync(options, clients, machine.Site, machine.Mac, ct) : (null, null);
        Events = events ?? [];
        Problem = problem ?? eventsProblem;
        return Page();
    }
}
