using ImagePipeline.Server.State;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Fleet;

/// <summary>
/// BMC passwords at rest: sealed with the server's data-protection keys (DATA/server/keys, beside
/// the signing key), so a copy of the database alone — a backup, a PostgreSQL dump, a replica —
/// does not hand out power control of the fleet. A sealed value starts with
/// <see cref="Prefix"/>; a row from before sealing is sealed at the next start.
/// </summary>
public sealed class BmcPasswords(IDataProtectionProvider provider)
{
    public const string Prefix = "sealed:v1:";

    private readonly IDataProtector protector = provider.CreateProtector("imagepipeline.bmc-password");

    public string? Seal(string? password) => password is null ? null : Prefix + protector.Protect(password);

    /// <summary>The password to send to the BMC; a value stored before sealing is returned as it is.</summary>
    public string? Open(string? stored)
    {
        if (stored is null || !stored.StartsWith(Prefix, StringComparison.Ordinal))
            return stored;
        try
        {
            return protector.Unprotect(stored[Prefix.Length..]);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new InvalidOperationException(
                "a BMC password cannot be opened with this server's keys (DATA/server/keys): every server sharing the store needs the same keys directory; or set the machine's bmcPassword again (PUT /api/v1/machines/NAME)", e);
        }
    }

    /// <summary>Seals every password still stored in plain text.</summary>
    public async Task SealStoredAsync(IDbContextFactory<PipelineDb> databases, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var plain = await db.Machines.Where(m => m.BmcPassword != null && !m.BmcPassword.StartsWith(Prefix)).ToListAsync(cancellationToken);
        foreach (var machine in plain)
            machine.BmcPassword = Seal(machine.BmcPassword);
        await db.SaveChangesAsync(cancellationToken);
    }
}
