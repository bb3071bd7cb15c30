using ImagePipeline.BootService.Contract;
using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages.Machines;

/// <summary>The machines the server rolls onto, with what the boot service sees of each right now.</summary>
public sealed class MachinesModel(ServerOptions options, IHttpClientFactory clients) : PipelinePage
{
    public IReadOnlyList<Machine> Machines { get; private set; } = [];
    public string? BootServiceProblem { get; private set; }
    private Dictionary<string, MachineRecord> seen = [];

    public MachineRecord? Seen(string mac) => seen.GetValueOrDefault(mac.ToLowerInvariant());

    public async Task OnGetAsync()
    {
        await using var db = await OpenAsync();
        Machines = await db.Machines.OrderBy(m => m.Name).ToListAsync(HttpContext.RequestAborted);
        (var machines, BootServiceProblem) = await FleetView.ListAsync(options, clients, HttpContext.RequestAborted);
        seen = machines ?? [];
    }
}
