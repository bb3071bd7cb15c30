using ImagePipeline.BootService.Storage;

namespace ImagePipeline.BootService.Tests.Support;

/// <summary>A machine inventory in a fresh SQLite file, removed afterwards.</summary>
internal sealed class TemporaryInventory : IAsyncDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("imagepipe-inventory-");

    private TemporaryInventory()
    {
    }

    public string DatabasePath => Path.Combine(directory.FullName, "bootsvc.db");
    public BootDatabase Database { get; private set; } = null!;
    public SqliteMachineInventory Inventory { get; private set; } = null!;

    public static async Task<TemporaryInventory> CreateAsync()
    {
        var temporary = new TemporaryInventory();
        await temporary.ReopenAsync();
        return temporary;
    }

    /// <summary>Closes and opens the database again: what a restart of the service sees.</summary>
    public async Task ReopenAsync()
    {
        if (Database is not null)
            await Database.DisposeAsync();
        Database = await BootDatabase.OpenAsync(DatabasePath, CancellationToken.None);
        Inventory = new SqliteMachineInventory(Database, TimeProvider.System);
    }

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        directory.Delete(recursive: true);
    }
}
